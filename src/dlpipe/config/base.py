"""The building blocks of the params sections: a frozen, strict base model and checked types.

Scalars are strict (YAML `yes` is no count, `"3"` no int; an int is fine where a float is
expected) and ranges live in the types, so each section below reads as a plain list of fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictStr,
    WithJsonSchema,
    WrapSerializer,
)
from pydantic_core import PydanticCustomError

RULES_ERROR = "dlpipe_rules"
"""Error type of a rule that spans fields; its ctx["problems"] holds (relative key, message)."""


class Section(BaseModel):
    """A params.yaml section: frozen, no unknown keys, no NaN or infinity.

    Positional arguments fill the fields in order, as the dataclasses these models replaced did.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    def __init__(self, /, *args: Any, **data: Any) -> None:
        if args:
            names = list(type(self).model_fields)
            if len(args) > len(names):
                raise TypeError(f"{type(self).__name__} takes at most {len(names)} arguments")
            twice = sorted(set(names[: len(args)]) & set(data))
            if twice:
                raise TypeError(f"{type(self).__name__} got {twice} twice")
            data = {**dict(zip(names, args, strict=False)), **data}
        super().__init__(**data)

    def replace(self, **changes: Any) -> Self:
        """A copy with `changes`, validated like the original (`model_copy` would not check)."""
        kept = {name: getattr(self, name) for name in self.model_fields_set}
        return self.model_validate({**kept, **changes})

    def kwargs(self) -> dict[str, Any]:
        """The keys set in params.yaml (not null) as keyword arguments, for `f(**section)`."""
        return self.model_dump(exclude_unset=True, exclude_none=True)


def rules_error(problems: Iterable[tuple[str, str]]) -> PydanticCustomError:
    """One error carrying several rule violations, each under its own key (see loading.py)."""
    found = tuple(problems)
    summary = "; ".join(f"{key}: {message}" if key else message for key, message in found)
    return PydanticCustomError(RULES_ERROR, "{summary}", {"summary": summary, "problems": found})


def check_rules(problems: Iterable[tuple[str, str]]) -> None:
    """Raise `rules_error` if there are any problems (validators return normally otherwise)."""
    found = list(problems)
    if found:
        raise rules_error(found)


# --- scalar types -----------------------------------------------------------------------------

Int = Annotated[int, Strict()]
Float = Annotated[float, Strict()]  # strict still takes an int (and makes it a float)
Bool = StrictBool
Str = StrictStr
NonEmptyStr = Annotated[str, Strict(), Field(min_length=1)]
Count = Annotated[int, Strict(), Field(ge=1)]
Count0 = Annotated[int, Strict(), Field(ge=0)]  # where 0 has a documented meaning
Positive = Annotated[float, Strict(), Field(gt=0)]
NonNegative = Annotated[float, Strict(), Field(ge=0)]
Fraction = Annotated[float, Strict(), Field(gt=0, lt=1)]  # a share that must not be empty or all
Probability = Annotated[float, Strict(), Field(ge=0, lt=1)]  # dropout, corruption, decay rates
SHA256_PATTERN = "^[0-9a-f]{64}$"
Sha256 = Annotated[str, Strict(), Field(pattern=SHA256_PATTERN)]
OptionalSha256 = Annotated[str, Strict(), Field(pattern="^([0-9a-f]{64})?$")]  # "" = not pinned

K = TypeVar("K")
V = TypeVar("V")
ReadOnlyMap = Annotated[
    Mapping[K, V],
    AfterValidator(MappingProxyType),
    WrapSerializer(lambda value, handler: handler(dict(value))),
]
"""A mapping callers cannot change, in YAML order (results depend on the order)."""


def _devices(value: Any) -> Any:
    if value == "auto" or (
        isinstance(value, int) and not isinstance(value, bool) and (value >= 1 or value == -1)
    ):
        return value
    message = 'must be an integer >= 1, -1 (every device) or "auto" (got {got})'
    raise PydanticCustomError("devices", message, {"got": repr(value)})


Devices = Annotated[
    int | Literal["auto"],
    BeforeValidator(_devices),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 1}, {"enum": [-1, "auto"]}]}),
]
"""Lightning's `devices`: how many per node (>= 1), -1 for all of them, or "auto"; one error."""


def _two_items(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) != 2:
        raise PydanticCustomError("length", "expected 2 items, got {n}", {"n": len(value)})
    return value


Point = Annotated[tuple[Float, Float], BeforeValidator(_two_items)]
"""An (x, y) pair; a wrong length is one error, not a "missing" second item."""
