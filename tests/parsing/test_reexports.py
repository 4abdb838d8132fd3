"""Re-exports: the names a line makes public without defining them, per language."""

from __future__ import annotations

import pytest

from codesearch.parsing.reexports import reexported_names


@pytest.mark.parametrize(("code", "language", "module", "names"), [
    ("pub use axum_core::extract::FromRequest;", "rust", "", {"FromRequest"}),
    ("pub use self::inner::{Json, form::{Form as Body, self}};", "rust", "", {"Json", "Body"}),
    ("pub use crate::error::Error as AxumError;", "rust", "", {"AxumError"}),
    ("use axum_core::extract::FromRequest;", "rust", "", set()),  # private: an import, not an export
    ("pub use tokio::*;", "rust", "", set()),
    ("export { QueryClient, default as Client } from './client'", "typescript", "", {"QueryClient", "Client"}),
    ("export type { Options } from './types';", "typescript", "", {"Options"}),
    ("export * as utils from './utils'", "javascript", "", {"utils"}),
    ("import { a } from './a'", "javascript", "", set()),
    ("from .models import (\n    Request,\n    Response as Reply,\n)", "python", "__all__ = ('Request', 'Reply')",
     {"Request", "Reply"}),
    ("from .models import Request", "python", "", set()),  # no __all__: an import like any other
    ("pub use a::B;", "go", "", set()),
])
def test_reexported_names(code: str, language: str, module: str, names: set[str]) -> None:
    assert reexported_names(code, language, module) == names
