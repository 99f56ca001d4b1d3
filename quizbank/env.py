"""Typed readers for settings from the environment (after healthchecks' envbool/envint)."""

import os


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def weak_secret_key(key: str, known: list[str]) -> str:
    """Why `key` must not sign production sessions ("" when it will do): empty, published in the
    repository, or too short or too uniform to resist guessing (Django's own bar: 50 characters,
    5 distinct, not a generated `django-insecure-` key)."""
    if not key:
        return "is not set"
    if key in known or key.startswith("django-insecure-"):
        return "is the published development key"
    if len(key) < 50 or len(set(key)) < 5:
        return f"is too weak ({len(key)} characters, {len(set(key))} distinct; at least 50 and 5)"
    return ""


def database_from_url(url: str) -> dict:
    """A DATABASES entry from DATABASE_URL: postgres://USER:PASSWORD@HOST:PORT/NAME (psycopg 3;
    ?sslmode=… and other query parameters become connection options) or sqlite:///ABSOLUTE/PATH."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ValueError("DATABASE_URL names no database: postgres://USER:PASSWORD@HOST:PORT/NAME")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": dict(parse_qsl(parts.query)),
        }
    if parts.scheme == "sqlite":  # sqlite:////absolute/path or sqlite:///relative/path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": unquote(parts.path[1:])}
    raise ValueError(f"DATABASE_URL must start with postgres:// or sqlite://, not {parts.scheme or url[:20]!r}")
