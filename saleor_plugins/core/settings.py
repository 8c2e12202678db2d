"""Typed per-channel settings, declared once.

An integration declares a :class:`ChannelSettings` subclass whose fields use
:func:`setting`. From that one declaration come Saleor's ``DEFAULT_CONFIGURATION`` and
``CONFIG_STRUCTURE``, the parsing of the name/value list Saleor stores (booleans arrive as
strings), and validation whose errors name the field.

Rules:
- a ``required`` field is only required while the plugin is active in the channel, so a
  merchant can save a half-filled form; when missing it is reported alone;
- cross-field checks (``validate_together``) run only once every field is valid on its own,
  so one missing key does not also produce an error on its neighbour;
- secret fields are ``SecretStr``: masked in ``repr`` and registered with the log scrubber;
  one too short to be scrubbed safely is refused;
- every value has a size bound (by kind, or ``max_length``): a huge value is refused with
  the field named before anything parses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from enum import StrEnum
from functools import lru_cache
from typing import Any, ClassVar, Self, cast

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic import ValidationError as PydanticValidationError
from pydantic.fields import FieldInfo

from . import secrets


class Kind(StrEnum):
    """Saleor's ``ConfigurationTypeField`` values (the strings the dashboard knows)."""

    STRING = "String"
    MULTILINE = "Multiline"
    BOOLEAN = "Boolean"
    SECRET = "Secret"  # noqa: S105 - a field type name
    SECRET_MULTILINE = "SecretMultiline"  # noqa: S105
    PASSWORD = "Password"  # noqa: S105
    OUTPUT = "OUTPUT"


SECRET_KINDS = frozenset({Kind.SECRET, Kind.SECRET_MULTILINE, Kind.PASSWORD})

#: Longest value a field accepts unless it declares ``max_length``: a one-line field holds
#: an id, a key or a URL; a multi-line one a key file or a mapping table.
MAX_LENGTH = {
    Kind.STRING: 2_048,
    Kind.SECRET: 2_048,
    Kind.PASSWORD: 2_048,
    Kind.MULTILINE: 65_536,
    Kind.SECRET_MULTILINE: 16_384,
    Kind.BOOLEAN: 10,
    Kind.OUTPUT: 65_536,
}


def setting(
    default: Any = "",
    *,
    label: str,
    help: str = "",
    kind: Kind | None = None,
    required: bool = False,
    max_length: int | None = None,
) -> Any:
    """Declare one setting: its default, dashboard label and help, kind and whether required.

    ``max_length`` bounds the value's size (default: :data:`MAX_LENGTH` of its kind).
    """
    return Field(
        default=default,
        json_schema_extra={
            "label": label,
            "help": help,
            "kind": kind.value if kind else "",
            "required": required,
            "max_length": max_length or 0,
        },
    )


class SettingsErrors(ValueError):
    """Invalid configuration: one message per field name."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class ChannelSettings(BaseModel):
    """Base class for an integration's settings in one channel."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)

    #: Field names shown first in the dashboard, in this order (others follow).
    ORDER: ClassVar[tuple[str, ...]] = ()

    # --- declaration -> Saleor -------------------------------------------------------

    @classmethod
    def _extra(cls, name: str) -> dict[str, Any]:
        info: FieldInfo = cls.model_fields[name]
        extra = info.json_schema_extra
        return dict(extra) if isinstance(extra, dict) else {}

    @classmethod
    def kind_of(cls, name: str) -> Kind:
        explicit = cls._extra(name).get("kind")
        if explicit:
            return Kind(explicit)
        annotation = cls.model_fields[name].annotation
        if annotation is bool:
            return Kind.BOOLEAN
        if annotation is SecretStr:
            return Kind.SECRET
        return Kind.STRING

    @classmethod
    def max_length(cls, name: str) -> int:
        return int(cls._extra(name).get("max_length") or MAX_LENGTH[cls.kind_of(name)])

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [n for n in cls.model_fields if cls.kind_of(n) in SECRET_KINDS]

    @classmethod
    def _stored_default(cls, name: str) -> Any:
        default = cls.model_fields[name].default
        if isinstance(default, SecretStr):
            default = default.get_secret_value()
        if isinstance(default, tuple | list | frozenset | set):
            default = ", ".join(str(v) for v in default)
        if isinstance(default, StrEnum):
            default = default.value
        if default is None:
            return None if cls.kind_of(name) in SECRET_KINDS else ""
        return default

    @classmethod
    def default_configuration(cls) -> list[dict[str, Any]]:
        """Saleor's ``DEFAULT_CONFIGURATION``."""
        return [{"name": n, "value": cls._stored_default(n)} for n in cls.model_fields]

    @classmethod
    def config_structure(cls) -> dict[str, dict[str, Any]]:
        """Saleor's ``CONFIG_STRUCTURE``."""
        structure = {}
        for name in cls.model_fields:
            extra = cls._extra(name)
            help_text = extra.get("help", "")
            if extra.get("required"):
                help_text = (help_text + " Required when the plugin is active.").strip()
            structure[name] = {
                "type": cls.kind_of(name).value,
                "label": extra.get("label", name),
                "help_text": help_text,
            }
        return structure

    # --- Saleor -> typed settings ------------------------------------------------------

    @classmethod
    def from_configuration(cls, items: Iterable[Mapping[str, Any]], *, active: bool = True) -> Self:
        """Parse Saleor's stored name/value list; raise :class:`SettingsErrors`.

        Saleor hands every plugin its stored list in every request, and each job's delivery
        reads it again: a configuration is parsed once per content (the settings are
        frozen, so sharing one instance is safe); a changed configuration is a new key."""
        raw = {item["name"]: item.get("value") for item in items if "name" in item}
        text = json.dumps(raw, sort_keys=True, default=str)
        return cast(Self, _parsed(cls, text, active))

    @classmethod
    def parse(cls, raw: Mapping[str, Any], *, active: bool = True) -> Self:
        values = {k: v for k, v in raw.items() if k in cls.model_fields}
        errors: dict[str, str] = {}
        for name in cls.model_fields:
            value = values.get(name)
            if value is None:
                values.pop(name, None)
                value = ""
            label = cls._extra(name).get("label", name)
            if isinstance(value, str) and not value.strip():
                if active and cls._extra(name).get("required"):
                    errors[name] = f"{label} is required when the plugin is active."
                values.pop(name, None)
                continue
            limit = cls.max_length(name)
            if len(str(value)) > limit:
                errors[name] = f"{label} is too long: at most {limit:,} characters."
                values.pop(name, None)
        try:
            instance = cls.model_validate(values, context={"active": active})
        except PydanticValidationError as e:
            for err in e.errors():
                loc = err.get("loc") or ("__all__",)
                name = str(loc[0])
                if name in errors:
                    continue  # the missing value is reported alone
                message = str(err.get("msg", "invalid value"))
                message = message.removeprefix("Value error, ")
                errors.setdefault(name, message)
            raise SettingsErrors(errors) from None
        if errors:
            raise SettingsErrors(errors)
        # a secret the scrubber cannot hide without masking ordinary words is never used
        # (checked once the field is valid: its own message says more when it is not)
        short = {
            name: f"{cls._extra(name).get('label', name)} is too short to be kept out of logs: "
            f"use at least {secrets.MIN_LEN} characters."
            for name in cls.secret_fields()
            if 0 < len(_plain(getattr(instance, name)).strip()) < secrets.MIN_LEN
        }
        if short:
            raise SettingsErrors(short)
        if active:
            together = instance.validate_together()
            if together:
                raise SettingsErrors(together)
        for name in cls.secret_fields():
            value = getattr(instance, name)
            secrets.register(value.get_secret_value() if isinstance(value, SecretStr) else value)
        return instance

    def validate_together(self) -> dict[str, str]:
        """Cross-field checks, run only when every field is valid on its own."""
        return {}

    def secret(self, name: str) -> str:
        value = getattr(self, name)
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return str(value or "")


def _plain(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")


@lru_cache(maxsize=256)
def _parsed(cls: type[ChannelSettings], text: str, active: bool) -> ChannelSettings:
    # an invalid configuration raises and is not cached (the dashboard refuses to save it)
    return cls.parse(json.loads(text), active=active)


def split_list(value: Any) -> tuple[str, ...]:
    """Parse a comma- or newline-separated dashboard field into a tuple."""
    if isinstance(value, str):
        parts = value.replace("\n", ",").split(",")
        return tuple(p.strip() for p in parts if p.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return ()
