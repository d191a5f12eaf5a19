"""The commands the hosts source runs, for Windows hosts and for POSIX hosts.

Two small scripts do the work, each in one round trip: one reads named environment and
registry values, the other reads the end of each named file (and of its rolled-over ``.lo_``
file when the current one is shorter than the byte limit). Both print the same line protocol,
with every value base64-encoded so that no code page or encoding gets in the way::

    NAME<TAB>base64(UTF-8 value)
    log<TAB>INDEX<TAB>SIZE<TAB>base64(tail)      rotated<TAB>INDEX<TAB>SIZE<TAB>base64(tail)
    missing<TAB>INDEX                            error<TAB>INDEX<TAB>base64(message)

On POSIX hosts the scripts are ``sh`` programs whose arguments testinfra quotes. On Windows
they are PowerShell, passed with ``-EncodedCommand``; the only values written into them are
this module's own constants and the folder names found on the host, as escaped literals.
"""

from __future__ import annotations

import base64
import binascii
import ntpath
import posixpath
from dataclasses import dataclass
from typing import Any, Literal

Platform = Literal["windows", "posix"]

# Exit codes of a shell that did not find the command.
NOT_FOUND_EXIT = (127, 9009)

_POSIX_VALUES = r"""
for n do
  v=$(printenv "$n") || v=
  printf '%s\t' "$n"; printf '%s' "$v" | base64 | tr -d '\n'; printf '\n'
done
printf 'UNAME\t'; uname -n | tr -d '\n' | base64 | tr -d '\n'; printf '\n'
"""

_POSIX_TAILS = r"""
limit=$1; shift; i=0
for p do
  if [ ! -f "$p" ]; then printf 'missing\t%s\n' "$i"
  elif [ ! -r "$p" ]; then printf 'error\t%s\t%s\n' "$i" "$(printf 'permission denied' | base64)"
  else
    size=$(wc -c < "$p" | tr -d ' ')
    printf 'log\t%s\t%s\t' "$i" "$size"; tail -c "$limit" "$p" | base64 | tr -d '\n'; printf '\n'
    r="${p%?}_"
    if [ "$size" -lt "$limit" ] && [ -f "$r" ] && [ -r "$r" ]; then
      printf 'rotated\t%s\t%s\t' "$i" "$(wc -c < "$r" | tr -d ' ')"
      tail -c "$((limit - size))" "$r" | base64 | tr -d '\n'; printf '\n'
    fi
  fi
  i=$((i + 1))
done
"""

_PS_VALUES = (
    "$ErrorActionPreference='SilentlyContinue'\n"
    "function B($v){if($null -eq $v){''}else{"
    "[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$v))}}\n"
)

_PS_TAILS = (
    "$ErrorActionPreference='Stop'\n"
    "function B($v){[Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes([string]$v))}\n"
    "function T([string]$p,[long]$k){"
    "$f=[IO.File]::Open($p,'Open','Read','ReadWrite,Delete');"
    "try{$l=$f.Length;$m=[Math]::Min($l,$k);[void]$f.Seek(-$m,'End');"
    "$b=New-Object byte[] $m;$r=0;"
    "while($r -lt $m){$c=$f.Read($b,$r,[int]($m-$r));if($c -le 0){break};$r+=$c};"
    "\"$l`t\"+[Convert]::ToBase64String($b,0,$r)}finally{$f.Dispose()}}\n"
    "$i=0\n"
    "foreach($p in $paths){try{if([IO.File]::Exists($p)){"
    "$t=T $p $n;\"log`t$i`t$t\";$l=[long]($t.Split(\"`t\")[0]);"
    "if($l -lt $n){$q=$p.Substring(0,$p.Length-1)+'_';"
    "if([IO.File]::Exists($q)){\"rotated`t$i`t\"+(T $q ($n-$l))}}"
    "}else{\"missing`t$i\"}}catch{\"error`t$i`t\"+(B $_.Exception.Message)};$i++}\n"
)


class CommandFailed(Exception):
    """A command the host ran but that did not do its work (denied, missing, garbled)."""


@dataclass(frozen=True)
class FileTail:
    """The end of one file as read on the host.

    :param status: ``log`` (read), ``missing`` or ``error`` (``error`` says why).
    """

    path: str
    status: str
    size: int = 0
    data: bytes = b""
    rotated_size: int = 0
    rotated_data: bytes = b""
    error: str = ""


def join(platform: Platform, *parts: str) -> str:
    """Join folder parts the way the host does."""
    if platform == "windows":
        return ntpath.join(*parts)
    return posixpath.join(*parts)


def ps_literal(text: str) -> str:
    """A PowerShell single-quoted literal of ``text`` (typographic quotes count as quotes)."""
    for quote in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(quote, quote * 2)
    return f"'{text}'"


def encoded_command(script: str) -> str:
    """``script`` as ``powershell -EncodedCommand`` takes it: base64 of UTF-16 LE."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def values_script_ps(env_names: tuple[str, ...],
                     registry: tuple[tuple[str, str, str], ...]) -> str:
    """The PowerShell that prints environment and registry values."""
    lines = [_PS_VALUES]
    for name in env_names:
        lines.append(f"{ps_literal(name + chr(9))}+(B ([Environment]::"
                     f"GetEnvironmentVariable({ps_literal(name)})))\n")
    for symbol, key, value in registry:
        lines.append(f"{ps_literal(symbol + chr(9))}+(B (Get-ItemProperty -LiteralPath "
                     f"{ps_literal(key)} -Name {ps_literal(value)}).{ps_literal(value)})\n")
    lines.append("'UNAME\t'+(B $env:COMPUTERNAME)\n")
    return "".join(lines)


def tails_script_ps(paths: list[str], limit: int) -> str:
    """The PowerShell that prints the end of each file in ``paths``."""
    listing = ",".join(ps_literal(p) for p in paths) or "''"
    return f"$n={int(limit)}\n$paths=@({listing})\n{_PS_TAILS}"


def run_powershell(host: Any, script: str) -> Any:
    """Run ``script`` on a Windows host; testinfra quotes the encoded script."""
    return host.run("powershell -NoProfile -NonInteractive -EncodedCommand %s",
                    encoded_command(script))


def read_values(host: Any, platform: Platform, env_names: tuple[str, ...],
                registry: tuple[tuple[str, str, str], ...]) -> dict[str, str]:
    """Environment (and, on Windows, registry) values by name; ``UNAME`` is the host's name.

    :raises CommandFailed: when the script did not run.
    """
    if platform == "windows":
        result = run_powershell(host, values_script_ps(env_names, registry))
    else:
        result = host.run("sh -c %s cmaad" + " %s" * len(env_names), _POSIX_VALUES,
                          *env_names)
    lines = _output_lines(result, "reading environment values")
    values: dict[str, str] = {}
    for line in lines:
        name, _, encoded = line.partition("\t")
        if name:
            values[name] = _b64(encoded).decode("utf-8", errors="replace").strip()
    return values


def read_tails(host: Any, platform: Platform, paths: list[str], limit: int) -> list[FileTail]:
    """The last ``limit`` bytes of each file in ``paths`` (and of its ``.lo_`` if needed).

    :raises CommandFailed: when the script did not run.
    """
    if not paths:
        return []
    if platform == "windows":
        result = run_powershell(host, tails_script_ps(paths, limit))
    else:
        result = host.run("sh -c %s cmaad %s" + " %s" * len(paths), _POSIX_TAILS, str(limit),
                          *paths)
    found: dict[int, FileTail] = {}
    for line in _output_lines(result, "reading logs"):
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].isdigit() or int(fields[1]) >= len(paths):
            continue
        index = int(fields[1])
        path = paths[index]
        if fields[0] == "missing":
            found[index] = FileTail(path, "missing")
        elif fields[0] == "error" and len(fields) >= 3:
            message = _b64(fields[2]).decode("utf-8", errors="replace").strip()
            found[index] = FileTail(path, "error", error=message.splitlines()[0] if message
                                    else "unreadable")
        elif fields[0] == "log" and len(fields) >= 4 and fields[2].isdigit():
            found[index] = FileTail(path, "log", int(fields[2]), _b64(fields[3]))
        elif fields[0] == "rotated" and len(fields) >= 4 and index in found and (
                fields[2].isdigit()):
            current = found[index]
            found[index] = FileTail(path, current.status, current.size, current.data,
                                    int(fields[2]), _b64(fields[3]))
    return [found.get(i, FileTail(p, "error", error="the host printed nothing for it"))
            for i, p in enumerate(paths)]


def _output_lines(result: Any, doing: str) -> list[str]:
    if result.rc != 0:
        raise CommandFailed(f"{doing} failed (exit {result.rc}: {first_line(result)})")
    text = result.stdout_bytes.decode("utf-8", errors="replace")
    return [line.rstrip("\r") for line in text.split("\n") if line.strip()]


def first_line(result: Any) -> str:
    """The first non-empty line a failed command printed (error output first)."""
    for stream in (result.stderr_bytes, result.stdout_bytes):
        for line in stream.decode("utf-8", errors="replace").splitlines():
            if line.strip() and not line.startswith("#< CLIXML"):
                return str(line.strip()[:200])
    return "no output"


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=False)
    except (binascii.Error, ValueError):
        return b""
