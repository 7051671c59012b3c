"""iml: a white-box AutoML agent following the iML method.

    import iml
    predictor = iml.fit(train_df, label="y")        # or a table file, or a task folder
    predictor.predict(new_df); predictor.leaderboard()
    predictor = iml.load("runs/<run>")               # a finished run, in a new process
"""

__version__ = "0.1.0"

__all__ = ["fit", "load", "Predictor", "__version__"]


def __getattr__(name: str):
    # The API on first use: `iml --help` and the run's sandboxed code do not pay for pandas and the flow.
    if name in ("fit", "load", "Predictor"):
        from iml import api

        return getattr(api, name)
    raise AttributeError(f"module 'iml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))
