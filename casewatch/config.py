"""Configuration: packaged defaults, a user's TOML file over them, overrides on top."""

from __future__ import annotations

import codecs
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scrapers.kinds import KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULTS = Path(__file__).with_name("defaults.toml")
# The source kinds and their keys are declared in one registry (scrapers/kinds.py); every other key is a mistake worth naming.
SOURCE_KINDS = {name: kind.needs for name, kind in KINDS.items()}
WEB_KEYS = KINDS["feed"].types()
# [http]: the polite session shared by a run's network sources (defaults and help in defaults.toml).
HTTP_KEYS: dict[str, type | tuple[type, ...]] = {
    "user_agent": str,
    "rate": (int, float),
    "connect_timeout": (int, float),
    "read_timeout": (int, float),
    "max_bytes": int,
    "retries": int,
    "robots": bool,
    "deadline": (int, float),
    "source_budget": (int, float),
}
# What each number of the configuration may be: (least, most). A value outside (NaN and
# infinity included) is one line at start-up, not a run that paces nothing or never ends.
BOUNDS: dict[str, tuple[float, float]] = {
    "rate": (0.001, 1000.0),
    "connect_timeout": (0.1, 300.0),
    "read_timeout": (0.1, 600.0),
    "deadline": (1.0, 3600.0),
    "source_budget": (1.0, 86400.0),
    "max_bytes": (1000, 1_000_000_000),
    "retries": (0, 10),
    "max_pages": (1, 1000),
}
# A site backfill's own limits: listing pages and seconds, after which it stops and says so.
BACKFILL_MAX_PAGES = (1, 100_000)
BACKFILL_MAX_SECONDS = (60.0, 7 * 86400.0)
# The address part of "名字 <a@b.org>"; control characters (CR, LF …) would forge message headers.
ADDRESS_RE = re.compile(r"[^@\s]+@[^@\s]+")
TYPE_NAMES = {str: "a string", int: "an integer", (int, float): "a number", float: "a number", bool: "true or false", list: "a list", dict: "a table"}


class ConfigError(Exception):
    """The configuration cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class HttpSettings:
    """How a run's network sources fetch: the `[http]` section."""

    user_agent: str
    rate: float
    connect_timeout: float
    read_timeout: float
    max_bytes: int
    retries: int
    robots: bool
    deadline: float = 120.0
    source_budget: float = 900.0


@dataclass(frozen=True)
class Schedule:
    """When the served weekly deployment runs: the `[schedule]` section."""

    cron: str = "0 7 * * 1"
    timezone: str = "Asia/Shanghai"


@dataclass
class Config:
    """Everything a run needs to know, with paths resolved."""

    path: Path | None
    db: Path
    digest_dir: Path
    model: Path
    timezone: str = "Asia/Shanghai"
    sources: list[dict] = field(default_factory=list)
    email_to: list[str] = field(default_factory=list)
    simplified: bool = False
    # Where Datasette serves the store: the digest links each case to its row there.
    digest_base_url: str | None = None
    http: HttpSettings | None = None
    schedule: Schedule = field(default_factory=Schedule)
    backfill_max_pages: int = 1000
    backfill_max_seconds: float = 21600.0
    backfill_second_core: bool = True  # a scoring and a digest worker when a core is free (flows/backfill.py)
    # [[readers]]: each gets their part of the digest (digests.readers); none: `email_to` gets the whole.
    readers: list[dict] = field(default_factory=list)

    def reader(self, name: str) -> dict:
        """The configured reader of that name; KeyError, in one line, for any other."""
        found = next((r for r in self.readers if r["name"] == name), None)
        if found is None:
            names = ", ".join(r["name"] for r in self.readers) or "none"
            raise KeyError(f"no reader named {name!r} in {self.path or 'the configuration'} (readers: {names})")
        return found

    def source_location(self, source: dict) -> str:
        """Where a source reads from (a folder, a file, a URL or a mailbox's folder)."""
        if source.get("kind") == "mailbox":
            return f"imap://{source['host']}/{source.get('folder') or 'INBOX'}"
        return str(source.get("url") or source.get("path") or "")


def _read(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML in {path}: {exc}") from exc


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


# A mailbox source (an IMAP folder); its password comes only from the environment.
MAILBOX_KEYS = KINDS["mailbox"].types()
MAILBOX_TLS = ("ssl", "starttls", "none")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

FILE_KEYS = KINDS["document"].types()


def _check_shape(data: dict, defaults: dict, where: str) -> None:
    """One line for the first section or key that casewatch does not know, or a value of the wrong type.

    The packaged defaults are the schema: every section and key a user may set is there.
    """
    known = [*defaults, "sources", "readers"]
    for key, value in data.items():
        if key in ("sources", "readers"):
            if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
                raise ConfigError(f"{where}: {key} must be [[{key}]] tables (each in its own [[{key}]]), not {value!r}")
        elif key not in defaults:
            raise ConfigError(f"{where}: unknown section or key {key!r}; expected one of: {', '.join(known)}")
        elif isinstance(defaults[key], dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{where}: {key} must be a table ([{key}]), not {value!r}")
            if key != "http":  # [http] has its own, stricter checks
                types = {k: _type_of(v) for k, v in defaults[key].items()}
                _check_types(value, types, f"{where}: [{key}]")


def _type_of(default) -> type | tuple[type, ...]:
    return (int, float) if isinstance(default, (int, float)) and not isinstance(default, bool) else type(default)


def _check_sources(sources: list, where: str, root: Path) -> list[dict]:
    checked, names = [], set()
    for n, source in enumerate(sources, start=1):
        name, kind = source.get("name"), source.get("kind")
        if name is not None and not isinstance(name, str):
            raise ConfigError(f"{where}: source #{n}: name must be a string, not {name!r}")
        if not name:
            raise ConfigError(f"{where}: source #{n} has no name")
        if name in names:
            raise ConfigError(f"{where}: two sources are named {name!r}")
        if kind not in SOURCE_KINDS:
            raise ConfigError(f"{where}: source {name!r} has kind {kind!r}; expected one of {sorted(SOURCE_KINDS)}")
        if not any(source.get(key) for key in SOURCE_KINDS[kind]):
            raise ConfigError(f"{where}: source {name!r} needs {' or '.join(SOURCE_KINDS[kind])}")
        if KINDS[kind].network:
            _check_web_source(source, f"{where}: source {name!r}", KINDS[kind].types())
        elif kind == "mailbox":
            _check_mailbox_source(source, f"{where}: source {name!r}")
        else:
            _check_types(source, KINDS[kind].types(), f"{where}: source {name!r}")
        names.add(name)
        source = dict(source)
        if source.get("path"):
            source["path"] = str((root / source["path"]).resolve())
        checked.append(source)
    return checked


def _check_types(table: dict, keys: dict, where: str) -> None:
    """One line naming the first unknown key or value of the wrong type."""
    for key, value in table.items():
        if key not in keys:
            raise ConfigError(f"{where}: unknown key {key!r}; expected one of: {', '.join(keys)}")
        expected = keys[key]
        # TOML booleans are not numbers here, whatever Python says
        if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            raise ConfigError(f"{where}: {key} must be {TYPE_NAMES[expected]}, not {value!r}")


def _check_web_source(source: dict, where: str, keys: dict | None = None) -> None:
    _check_types(source, keys or WEB_KEYS, where)
    if not source["url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where}: url must start with http:// or https://, not {source['url']!r}")
    if "max_pages" in source:
        check_bound(source["max_pages"], "max_pages", where)
    for key in ("include", "exclude"):
        try:
            re.compile(source.get(key) or "")
        except re.error as exc:
            raise ConfigError(f"{where}: {key} is not a valid regular expression: {exc}") from exc
    if "encoding" in source:
        try:
            codecs.lookup(source["encoding"])
        except LookupError:
            raise ConfigError(f"{where}: unknown encoding {source['encoding']!r}") from None
    if not all(isinstance(host, str) and host for host in source.get("hosts", [])):
        raise ConfigError(f"{where}: hosts must be a list of host names")
    if any(key.startswith("api_") for key in source):
        _check_api(source, where)


API_METHODS = ("GET", "POST")


def _check_api(source: dict, where: str) -> None:
    """One line for the first mistake in a site's endpoint settings (`api_url` and friends)."""
    if "api_url" not in source:
        others = ", ".join(key for key in source if key.startswith("api_"))
        raise ConfigError(f"{where}: {others} need api_url (the endpoint that lists the column)")
    if not source["api_url"].startswith(("http://", "https://")):
        raise ConfigError(f"{where}: api_url must start with http:// or https://, not {source['api_url']!r}")
    if source.get("api_method", "GET").upper() not in API_METHODS:
        raise ConfigError(f"{where}: api_method must be GET or POST, not {source['api_method']!r}")
    if str(source.get("api_body", "form")).lower() not in ("form", "json"):
        raise ConfigError(f"{where}: api_body must be form or json, not {source['api_body']!r}")
    params = source.get("api_params", {})
    if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in params.values()):
        raise ConfigError(f"{where}: api_params values must be strings or numbers")
    if "api_first_page" in source:
        check_bound(source["api_first_page"], "api_first_page", where, (0, 1))
    if "api_page_size" in source:
        check_bound(source["api_page_size"], "api_page_size", where, (1, 1000))


def _check_mailbox_source(source: dict, where: str) -> None:
    """One line for a mailbox source's first mistake; a password in the file is refused outright."""
    for key in ("password", "pass", "passwd"):
        if key in source:
            raise ConfigError(f"{where}: a password is never kept in the configuration; set it in the environment "
                              f"variable {source.get('password_env') or 'CASEWATCH_IMAP_PASSWORD'} and remove {key!r}")
    _check_types(source, MAILBOX_KEYS, where)
    if not source.get("user"):
        raise ConfigError(f"{where}: needs user (the IMAP login name)")
    if any(c.isspace() or c in "/@" for c in source["host"]):
        raise ConfigError(f"{where}: host must be a host name or address, not {source['host']!r}")
    if source.get("tls", "ssl") not in MAILBOX_TLS:
        raise ConfigError(f"{where}: tls must be one of {', '.join(MAILBOX_TLS)}, not {source['tls']!r}")
    if "port" in source:
        check_bound(source["port"], "port", where, (1, 65535))
    if "body_chars" in source:
        check_bound(source["body_chars"], "body_chars", where, (1, 10_000_000))
    if "password_env" in source and not ENV_NAME_RE.fullmatch(source["password_env"]):
        raise ConfigError(f"{where}: password_env must name an environment variable, not {source['password_env']!r}")
    if any(ord(c) < 32 for key in ("user", "folder", "from", "subject") for c in source.get(key, "")):
        raise ConfigError(f"{where}: user, folder, from and subject must be one line each")


def _check_http(http: dict, where: str) -> HttpSettings:
    if not isinstance(http, dict):
        raise ConfigError(f"{where}: http must be a table ([http])")
    _check_types(http, HTTP_KEYS, f"{where}: [http]")
    for key in HTTP_KEYS:
        if key in BOUNDS:
            check_bound(http[key], key, f"{where}: [http]")
    if not http["user_agent"].strip() or any(ord(c) < 32 for c in http["user_agent"]):
        raise ConfigError(f"{where}: [http]: user_agent must name casewatch and a contact")
    return HttpSettings(**{key: http[key] for key in HTTP_KEYS})


def check_bound(value: float, key: str, where: str, bounds: tuple[float, float] | None = None) -> None:
    """One line when a number is outside what casewatch accepts for `key` (NaN and infinity are)."""
    import math

    least, most = bounds or BOUNDS[key]
    if not (isinstance(value, (int, float)) and math.isfinite(value) and least <= value <= most):
        raise ConfigError(f"{where}: {key} must be a number from {least:g} to {most:g}, not {value!r}")


def check_addresses(addresses: list, where: str) -> list[str]:
    """E-mail addresses ("a@b.org" or "名字 <a@b.org>"), checked before any work: a CR or LF is refused."""
    if not isinstance(addresses, list) or not all(isinstance(a, str) for a in addresses):
        raise ConfigError(f"{where} must be a list of e-mail addresses")
    from email.utils import parseaddr

    for address in addresses:
        if any(ord(c) < 32 or ord(c) == 127 for c in address) or not ADDRESS_RE.fullmatch(parseaddr(address)[1]):
            raise ConfigError(f"{where}: {address!r} is not an e-mail address (one per string, no line breaks)")
    return addresses


def _check_email(email: dict, where: str) -> list[str]:
    to = email.get("to", [])
    if isinstance(to, str):
        to = [to]
    return check_addresses(to, f"{where}: [email] to")


def find_config(path: str | Path | None = None) -> Path | None:
    """The configuration file: the argument, else $CASEWATCH_CONFIG, else ./casewatch.toml."""
    if path:
        return Path(path)
    if os.environ.get("CASEWATCH_CONFIG"):
        return Path(os.environ["CASEWATCH_CONFIG"])
    local = Path("casewatch.toml")
    return local if local.exists() else None


def load_config(
    path: str | Path | None = None, *, db: str | Path | None = None, digest_dir: str | Path | None = None
) -> Config:
    """Load the configuration; `db` and `digest_dir` override the file's values."""
    file = find_config(path)
    data = defaults = _read(DEFAULTS)
    root = Path.cwd()
    if file is not None:
        user = _read(file)
        _check_shape(user, defaults, str(file))
        data = _merge(defaults, user)
        root = file.resolve().parent
    where = str(file or DEFAULTS)
    return Config(
        path=file,
        db=Path(db) if db else root / data["store"]["db"],
        digest_dir=Path(digest_dir) if digest_dir else root / data["digest"]["dir"],
        model=root / data["classify"]["model"],
        timezone=check_timezone(data["digest"].get("timezone", "Asia/Shanghai"), f"{where}: [digest]"),
        sources=_settle_inboxes(_check_sources(data.get("sources", []), where, root), data["inbox"], where),
        email_to=_check_email(data.get("email", {}), where),
        simplified=_check_flag(data["digest"], "simplified", where),
        digest_base_url=_check_base_url(data["digest"].get("base_url", ""), where),
        http=_check_http(data["http"], where),
        schedule=check_schedule(data["schedule"]["cron"], data["schedule"]["timezone"], f"{where}: [schedule]"),
        backfill_max_pages=_bounded(data["backfill"], "max_pages", BACKFILL_MAX_PAGES, f"{where}: [backfill]"),
        backfill_max_seconds=_bounded(data["backfill"], "max_seconds", BACKFILL_MAX_SECONDS, f"{where}: [backfill]"),
        backfill_second_core=_check_flag(data["backfill"], "second_core", f"{where}: [backfill]"),
        readers=_check_readers(data.get("readers", []), data.get("email", {}), where),
    )


def _bounded(table: dict, key: str, bounds: tuple[float, float], where: str) -> float:
    check_bound(table[key], key, where, bounds)
    return table[key]


def check_schedule(cron: str, timezone: str, where: str = "[schedule]") -> Schedule:
    """A schedule whose cron expression and time zone have the right shape, or one line saying which has not."""
    fields = cron.split()
    # The shape only (five fields of digits, names and * , - /), cheaply for every command;
    # `casewatch serve` checks the values with Prefect's own cron schedule (importing it takes seconds).
    if len(fields) != 5 or not all(re.fullmatch(r"[0-9A-Za-z*,/-]+", f) for f in fields) or re.search(r"\b[RrHh]\b", cron):
        raise ConfigError(f"{where} cron must be five fields (minute hour day month weekday), not {cron!r}")
    check_timezone(timezone, where)
    return Schedule(cron, timezone)


def check_timezone(timezone: str, where: str) -> str:
    """An IANA time zone name that this machine knows, or one line saying it is not."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where} timezone must be an IANA time zone such as Asia/Shanghai, not {timezone!r}") from None
    return timezone


def _check_base_url(value: str, where: str) -> str | None:
    """The Datasette address the digest links cases to (http or https), or None when not set."""
    value = value.strip().rstrip("/")
    if not value:
        return None
    if not re.match(r"(?i)^https?://[^\s/]+(?:/\S*)?$", value):
        raise ConfigError(f"{where}: [digest] base_url must be an http:// or https:// address, not {value!r}")
    return value


# [inbox] settle: seconds; more than a few minutes would hold a weekly run for nothing.
MAX_SETTLE = 300


def _settle_inboxes(sources: list[dict], inbox: dict, where: str) -> list[dict]:
    """Give each inbox source the `[inbox] settle` time (seconds a file must stay unchanged before it is read)."""
    settle = inbox["settle"]
    if not 0 <= settle <= MAX_SETTLE:  # also false for nan
        raise ConfigError(f"{where}: [inbox] settle must be between 0 and {MAX_SETTLE} seconds, not {settle!r}")
    return [dict(s, settle=float(settle)) if s.get("kind") == "inbox" else s for s in sources]


def _check_flag(table: dict, key: str, where: str) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false")
    return value


# The keys of a [[readers]] entry and their types (filters left out mean "all").
READER_KEYS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "to": list,
    "indicators": list,
    "provinces": list,
    "cities": list,
    "min_confidence": (int, float),
    "review": bool,
    "reforms": bool,
}
# A reader's name names their digest's folder (reports/readers/<name>/) and their rows in `deliveries`.
READER_NAME_RE = re.compile(r"[^\W][\w.-]{0,63}")


def _check_readers(readers: list, email: dict, where: str) -> list[dict]:
    """Each [[readers]] entry checked and given its defaults; one line for the first mistake."""
    checked, names = [], set()
    if readers and email.get("to"):
        raise ConfigError(
            f"{where}: [email] to and [[readers]] are both set; with readers, each reader's `to` says who gets mail: "
            "give the whole digest's recipients a [[readers]] entry without filters"
        )
    for n, reader in enumerate(readers, start=1):
        name = reader.get("name")
        if not isinstance(name, str) or not READER_NAME_RE.fullmatch(name):
            raise ConfigError(f"{where}: reader #{n}: name must be letters, digits, '.', '-' or '_' (it names a folder), not {name!r}")
        if name in names:
            raise ConfigError(f"{where}: two readers are named {name!r}")
        names.add(name)
        at = f"{where}: reader {name!r}"
        _check_types(reader, READER_KEYS, at)
        if "to" not in reader or not reader["to"]:
            raise ConfigError(f"{at}: needs to = [\"address\", …] (who receives this reader's digest)")
        check_addresses(reader["to"], f"{at}: to")
        for key in ("indicators", "provinces", "cities"):
            if not all(isinstance(value, str) and value for value in reader.get(key, [])):
                raise ConfigError(f"{at}: {key} must be a list of names")
        _check_slugs(reader.get("indicators", []), at)
        _check_places(reader.get("provinces", []), reader.get("cities", []), at)
        if "min_confidence" in reader:
            check_bound(reader["min_confidence"], "min_confidence", at, (0.0, 1.0))
        checked.append({
            "name": name, "to": list(reader["to"]), "indicators": list(reader.get("indicators", [])),
            "provinces": list(reader.get("provinces", [])), "cities": list(reader.get("cities", [])),
            "min_confidence": float(reader.get("min_confidence", 0.0)), "review": reader.get("review", True),
            "reforms": reader.get("reforms", True),
        })  # fmt: skip
    return checked


def _check_slugs(slugs: list[str], where: str) -> None:
    if not slugs:
        return
    import difflib

    from classify.taxonomy import SLUGS  # only when a reader names indicators: classify is slow to import

    for slug in slugs:
        if slug not in SLUGS:
            close = difflib.get_close_matches(slug, SLUGS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown indicator {slug!r}{hint}; expected one of: {', '.join(SLUGS)}")


def _check_places(provinces: list[str], cities: list[str], where: str) -> None:
    if not provinces and not cities:
        return
    from scrapers.regions import region_names

    known_provinces, places, short = region_names()
    # A municipality (北京市, 上海市 …) is its own city too.
    for key, names, known in (("provinces", provinces, known_provinces), ("cities", cities, places | known_provinces)):
        for name in names:
            if name not in known:
                hint = f" (did you mean {short[name]!r}?)" if short.get(name) in known else ""
                raise ConfigError(f"{where}: {key}: unknown name {name!r}{hint}; give the full name as in `regions` (e.g. 浙江省, 杭州市)")
