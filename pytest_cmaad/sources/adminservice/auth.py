"""Signing in to the AdminService: Windows authentication or basic, by the profile.

``negotiate`` uses the current Windows identity through requests-negotiate-sspi on Windows,
and Kerberos through requests-gssapi elsewhere; ``ntlm`` uses requests-ntlm (pyspnego) with
``adminservice_user`` and the password from ``adminservice_password_env``; ``basic`` sends
that account in the clear inside TLS (labs). The libraries are imported only when chosen.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from requests.auth import HTTPBasicAuth

from ...config import SiteSettings


class AuthError(Exception):
    """Sign-in cannot be set up; one line saying what to install or set."""


def _credentials(settings: SiteSettings, environ: Mapping[str, str]) -> tuple[str, str]:
    user = settings.get("adminservice_user")
    variable = str(settings.get("adminservice_password_env"))
    if not user:
        raise AuthError(f"adminservice: adminservice_auth={settings.get('adminservice_auth')} "
                        "needs adminservice_user")
    password = environ.get(variable)
    if not password:
        raise AuthError(f"adminservice: the password of {user} is not in ${variable} — set it "
                        "(or adminservice_password_env)")
    return str(user), password


def make_auth(settings: SiteSettings, environ: Mapping[str, str]) -> Any:
    """The requests auth object the profile asks for."""
    kind = settings.get("adminservice_auth")
    if kind == "basic":
        return HTTPBasicAuth(*_credentials(settings, environ))
    if kind == "ntlm":
        try:
            from requests_ntlm import HttpNtlmAuth
        except ImportError:
            raise AuthError("adminservice: adminservice_auth=ntlm needs requests-ntlm — "
                            "pip install requests-ntlm") from None
        return HttpNtlmAuth(*_credentials(settings, environ))
    if sys.platform == "win32":
        try:
            from requests_negotiate_sspi import HttpNegotiateAuth
        except ImportError:
            raise AuthError("adminservice: adminservice_auth=negotiate needs "
                            "requests-negotiate-sspi — pip install requests-negotiate-sspi"
                            ) from None
        return HttpNegotiateAuth()
    try:
        from requests_gssapi import HTTPSPNEGOAuth
    except ImportError:
        raise AuthError("adminservice: adminservice_auth=negotiate needs requests-gssapi and a "
                        "Kerberos ticket — pip install requests-gssapi, or use "
                        "adminservice_auth=ntlm") from None
    return HTTPSPNEGOAuth()
