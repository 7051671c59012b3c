"""Strict rendering of packaged templates: a missing variable is an error, never an empty string."""

from __future__ import annotations

import pprint
from functools import lru_cache

import jinja2


def _py(value) -> str:
    return repr(value)


def _pyblock(value) -> str:
    return pprint.pformat(value, width=110, sort_dicts=False)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("iml", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["py"] = _py
    env.filters["pyblock"] = _pyblock
    return env


def render(template: str, **variables) -> str:
    return environment().get_template(template).render(**variables)
