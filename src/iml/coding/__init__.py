"""Coding: the Preprocessing and Modeling Coders render modules from the blueprint."""
