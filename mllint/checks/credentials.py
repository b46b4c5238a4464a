"""ML service credentials baked into an image through ARG, ENV or a RUN command line."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass

from mllint import knowledge
from mllint.checks.locations import key_line
from mllint.context import CheckContext
from mllint.dockerfile import Instruction
from mllint.rule import Hit, Severity

_VAR_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# Values that are clearly not a credential (documentation placeholders, "no key" markers).
_PLACEHOLDERS = {
    "", "empty", "none", "null", "nil", "dummy", "placeholder", "changeme", "change-me", "change_me",
    "fake", "test", "unused", "not-needed", "not_needed", "no-key", "nokey", "false", "0", "-",
    "sk-no-key-required", "token", "secret", "your-token", "your_token", "your-api-key", "your_api_key",
}
_PLACEHOLDER_FORMS = re.compile(r"^(?:x+|\*+|\.+|<[^>]*>|\{\{.*\}\}|your[-_].*)$", re.I)


@dataclass(frozen=True)
class _Secret:
    """A secret variable name's service, and whether the name is sourced."""

    service: str
    verified: bool


def _tables(configured=()) -> tuple[dict[str, _Secret], set[str]]:
    """Known secret names and known non-secrets, plus the ``secret-names`` option (which wins)."""
    packages = knowledge.table("packages")
    secrets: dict[str, _Secret] = {}
    for row in packages.get("secret_names") or ():
        flag = row.get("unverified")
        secrets[str(row["name"]).upper()] = _Secret(str(row.get("service") or "an ML service"), not flag)
    not_secret = {str(row["name"]).upper() for row in packages.get("not_secret_names") or ()}
    for name in configured:
        known = secrets.get(name.upper())  # listing a name confirms it, so its findings are not mere notes
        secrets[name.upper()] = _Secret(known.service if known else "configured (`secret-names`)", True)
        not_secret.discard(name.upper())
    return secrets, not_secret


def _is_placeholder(value: str) -> bool:
    value = value.strip().strip("'\"").strip()
    return value.lower() in _PLACEHOLDERS or bool(_PLACEHOLDER_FORMS.match(value)) or value.startswith("/")


def _is_literal(value: str) -> bool:
    return "$" not in value and "`" not in value


# --------------------------------------------------------------------------- login commands

def _login_tokens(argv: tuple[str, ...]) -> tuple[str, str] | None:
    """(service, token argument) of `huggingface-cli login --token X`, `hf auth login --token X`, `wandb login X`."""
    if not argv:
        return None
    tool = posixpath.basename(argv[0])
    args = list(argv[1:])
    if tool == "huggingface-cli" and args[:1] == ["login"]:
        service, args = "Hugging Face Hub", args[1:]
    elif tool == "hf" and args[:2] == ["auth", "login"]:
        service, args = "Hugging Face Hub", args[2:]
    elif tool == "wandb" and args[:1] == ["login"]:
        rest, i = args[1:], 0
        while i < len(rest):
            arg = rest[i]
            if arg == "--host":
                i += 2
                continue
            if not arg.startswith("-"):
                return "Weights & Biases", arg
            i += 1
        return None
    else:
        return None
    for i, arg in enumerate(args):
        if arg == "--token" and i + 1 < len(args):
            return service, args[i + 1]
        if arg.startswith("--token="):
            return service, arg[len("--token="):]
    return None


def _login_variables(ctx: CheckContext) -> dict[str, str]:
    """Variables the Dockerfile itself passes as a login token: name -> service."""
    found: dict[str, str] = {}
    for stage in ctx.stages:
        for instruction in stage.instructions:
            for placed in instruction.commands:
                login = _login_tokens(placed.command.argv)
                if login:
                    for name in _VAR_REF.findall(login[1]):
                        found.setdefault(name.upper(), login[0])
    return found


# --------------------------------------------------------------------------- messages

def _a(service: str) -> str:
    return "an" if service[:1] in "AEIOU" or service.startswith(("NVIDIA", "ML", "NGC")) else "a"


def _secret_id(name: str) -> str:
    return name.lower()


def _fix(name: str) -> str:
    return f"`RUN --mount=type=secret,id={_secret_id(name)},env={name} ...`, Dockerfile 1.10+"


def _declaration_hit(instruction: Instruction, name: str, secret: _Secret) -> Hit:
    if instruction.keyword == "ENV":
        text = (f"`ENV {name}` stores {_a(secret.service)} {secret.service} credential in the image config, readable by anyone "
                f"who has the image (`docker inspect`); use a build secret for build steps ({_fix(name)}) and "
                f"pass the token at run time (`docker run -e {name}`).")
    else:
        text = (f"`ARG {name}` takes {_a(secret.service)} {secret.service} credential as a build argument, and build-argument "
                f"values are visible in `docker history` and provenance attestations; use a build secret "
                f"({_fix(name)}) and pass the token at run time (`docker run -e {name}`).")
    return Hit(text, instruction, line=key_line(instruction, name), column=1,
               severity=None if secret.verified else Severity.INFO,
               fix=f"use RUN --mount=type=secret,id={_secret_id(name)},env={name}")


def _command_hit(instruction: Instruction, placed, what: str, service: str, name: str, ships: bool = True) -> Hit:
    kept = ("in the Dockerfile and in the image history (`docker history`)" if ships else
            "in the Dockerfile (this stage does not reach the image, so not in its history)")
    return Hit(
        f"{what} writes a literal {service} credential into the RUN command line, which is kept "
        f"{kept}; read it from a build secret instead ({_fix(name)}).",
        instruction, line=placed.line, column=placed.column,
        fix=f"use RUN --mount=type=secret,id={_secret_id(name)},env={name}",
    )


# --------------------------------------------------------------------------- the rule

def ml_secret_in_image(ctx: CheckContext) -> Iterator[Hit]:
    """ARG/ENV named after an ML-service credential, or a literal token on a RUN command line."""
    secrets, not_secret = _tables(ctx.options.get("secret-names") or ())
    login_vars = _login_variables(ctx)
    for stage in ctx.stages:
        ships = stage.shipping.whole  # its config and history are the image's (mllint.shipping)
        for instruction in stage.instructions:
            if instruction.keyword in ("ARG", "ENV"):
                yield from _declarations(instruction, secrets, not_secret, login_vars, ships)
            elif instruction.keyword == "RUN":
                yield from _run_literals(instruction, secrets, not_secret, ships)


def _builder_declaration(instruction: Instruction, name: str, secret: _Secret) -> Hit | None:
    """A declaration in a stage that does not reach the image: its config and history stay behind.

    A build argument's value is still recorded by max-mode provenance attestations (a note); an ENV
    holds a credential only when its value is written literally, in the Dockerfile itself.
    """
    line, fix = key_line(instruction, name), f"use RUN --mount=type=secret,id={_secret_id(name)},env={name}"
    if instruction.keyword == "ARG":
        return Hit(f"`ARG {name}` takes {_a(secret.service)} {secret.service} credential as a build argument in a "
                   f"stage that does not reach the image, so `docker history` of the image does not show it, but "
                   f"max-mode provenance attestations record build-argument values; prefer a build secret "
                   f"({_fix(name)}).", instruction, line=line, column=1, severity=Severity.INFO, fix=fix)
    written = re.search(rf"(?:^|\s){re.escape(name)}[=\s]+(\S+)", instruction.value)
    if written is None or not _is_literal(written.group(1)):
        return None  # set from a build argument, reported there
    return Hit(f"`ENV {name}` writes a literal {secret.service} credential into the Dockerfile (the stage does not "
               f"reach the image, so its config does not hold it); read it from a build secret instead "
               f"({_fix(name)}).", instruction, line=line, column=1,
               severity=None if secret.verified else Severity.INFO, fix=fix)


def _declarations(instruction: Instruction, secrets, not_secret, login_vars, ships: bool = True) -> Iterator[Hit]:
    for name, value in instruction.assigned.items():
        key = name.upper()
        if key in not_secret:
            continue
        secret = secrets.get(key)
        if key in login_vars and (secret is None or not secret.verified):
            secret = _Secret(login_vars[key], True)  # the Dockerfile itself uses it as a login token
        if secret is None:
            continue
        if instruction.keyword == "ENV" and value is not None and _is_placeholder(value):
            continue  # `ENV OPENAI_API_KEY=EMPTY`, `ENV HF_TOKEN=""`: no credential stored
        hit = _declaration_hit(instruction, name, secret) if ships else _builder_declaration(instruction, name, secret)
        if hit is not None:
            yield hit


def _run_literals(instruction: Instruction, secrets, not_secret, ships: bool = True) -> Iterator[Hit]:
    reported: set[str] = set()
    for placed in instruction.commands:
        command = placed.command
        pairs = list(command.assignments)
        if command.argv and posixpath.basename(command.argv[0]) == "export":
            pairs += [tuple(arg.split("=", 1)) for arg in command.argv[1:] if "=" in arg]
        for name, value in pairs:
            key = name.upper()
            secret = secrets.get(key)
            if (secret is None or not secret.verified or key in not_secret or key in reported
                    or not _is_literal(value) or _is_placeholder(value)):
                continue
            reported.add(key)
            yield _command_hit(instruction, placed, f"`{name}=…`", secret.service, name, ships)
        login = _login_tokens(command.argv)
        if login and _is_literal(login[1]) and not _is_placeholder(login[1]) and "login" not in reported:
            reported.add("login")
            name = "HF_TOKEN" if login[0].startswith("Hugging") else "WANDB_API_KEY"
            shown = " ".join(posixpath.basename(w) if i == 0 else w
                             for i, w in enumerate(command.argv[: 3 if login[0].startswith("Hugging") else 2]))
            yield _command_hit(instruction, placed, f"`{shown} …`", login[0], name, ships)


RULES = {"ML010": ml_secret_in_image}
