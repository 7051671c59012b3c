"""iml: a white-box AutoML agent following the iML method."""

__version__ = "0.1.0"
