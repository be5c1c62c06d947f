"""A real company directory for the tests: OpenLDAP's slapd and an OpenID provider (node).

`LdapDirectory.start()` runs a private slapd: its own generated slapd.conf (`-f`), its own
database directory, a free port on 127.0.0.1, loaded from a small LDIF (users, groups, one
disabled user: locked by the password-policy overlay, so it cannot bind and is not found by the
dashboard's user search). `OpenIdProvider.start()` runs tests/idp/provider.js (oidc-provider) on a
free port with its own login page and one client registered for the dashboard (PKCE, refresh
tokens, a groups claim); its users file is re-read on every look-up, so a test moves a user
between groups or disables it at run time. Both are stopped by `stop()`, which the fixtures call
in `finally`.

`skip_unless_installed()` skips a test only when the binaries are absent (scripts/install-system-deps
installs them).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from .processes import REPO, stop

SLAPD = Path("/usr/sbin/slapd")
LDAPMODIFY = shutil.which("ldapmodify") or "/usr/bin/ldapmodify"
IDP_DIR = REPO / "tests" / "idp"
NODE = shutil.which("node") or "/usr/bin/node"

BASE_DN = "dc=example,dc=test"
PEOPLE = f"ou=people,{BASE_DN}"
GROUPS = f"ou=groups,{BASE_DN}"
ROOT_DN = f"cn=admin,{BASE_DN}"
POLICIES = f"ou=policies,{BASE_DN}"
DEFAULT_POLICY = f"cn=default,{POLICIES}"
# The password-policy overlay's mark of an account an administrator locked for good.
LOCKED_FOREVER = "000001010000Z"


def skip_unless_installed(*, ldap: bool = False, oidc: bool = False) -> None:
    missing = []
    if ldap and not (SLAPD.exists() and Path(LDAPMODIFY).exists()):
        missing.append("slapd and ldap-utils (Debian packages)")
    if oidc and not (Path(NODE).exists() and (IDP_DIR / "node_modules" / "oidc-provider").is_dir()):
        missing.append("node and tests/idp/node_modules (npm ci in tests/idp)")
    if missing:
        pytest.skip(f"not installed: {', '.join(missing)}; run scripts/install-system-deps")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[str], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {process.communicate()[0]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:g} s")


class _Server:
    """A server the test owns: a child process on `port` with its files in `workdir`."""

    port: int
    workdir: Path
    process: subprocess.Popen[str] | None

    def _launch(self, args: list[str], what: str, cwd: Path | None = None) -> None:
        self.process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        _wait_for_port(self.port, self.process, what)

    def stop(self) -> None:
        try:
            if self.process is not None:
                stop(self.process, (signal.SIGTERM,), timeout=10)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)


# --- LDAP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LdapUser:
    uid: str
    password: str
    groups: tuple[str, ...]  # group cns
    disabled: bool = False

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{PEOPLE}"


def group_dn(cn: str) -> str:
    return f"cn={cn},{GROUPS}"


LDAP_GROUPS = ("dashboard-observers", "dashboard-supervisors", "dashboard-leads", "dashboard-admins", "sales")
LDAP_USERS = (
    LdapUser("ldap-supervisor", "sup-" + secrets.token_hex(6), ("dashboard-supervisors",)),
    LdapUser("ldap-observer", "obs-" + secrets.token_hex(6), ("dashboard-observers", "sales")),
    LdapUser("ldap-admin", "adm-" + secrets.token_hex(6), ("dashboard-admins",)),
    LdapUser("ldap-sales", "sal-" + secrets.token_hex(6), ("sales",)),
    LdapUser("ldap-former", "frm-" + secrets.token_hex(6), ("dashboard-supervisors",), disabled=True),
)


def _ldif(users: tuple[LdapUser, ...]) -> str:
    entries = [
        f"dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example Call Center\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        f"dn: {POLICIES}\nobjectClass: organizationalUnit\nou: policies\n",
        f"dn: {DEFAULT_POLICY}\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\n"
        "pwdAttribute: userPassword\npwdLockout: TRUE\n",
    ]
    for user in users:
        locked = f"pwdAccountLockedTime: {LOCKED_FOREVER}\n" if user.disabled else ""
        entries.append(
            f"dn: {user.dn}\nobjectClass: inetOrgPerson\nuid: {user.uid}\ncn: {user.uid}\nsn: {user.uid}\n"
            f"givenName: {user.uid}\nmail: {user.uid}@example.test\nuserPassword: {user.password}\n{locked}"
        )
    for cn in LDAP_GROUPS:
        members = [user.dn for user in users if cn in user.groups] or [ROOT_DN]  # groupOfNames needs a member
        entries.append(
            f"dn: {group_dn(cn)}\nobjectClass: groupOfNames\ncn: {cn}\n" + "".join(f"member: {m}\n" for m in members)
        )
    return "\n".join(entries)


def _slapd_conf(workdir: Path, root_password: str) -> str:
    schema = Path("/etc/ldap/schema")
    includes = "".join(f"include {schema / name}.schema\n" for name in ("core", "cosine", "inetorgperson", "nis"))
    return f"""{includes}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {workdir / "slapd.pid"}
argsfile {workdir / "slapd.args"}

database mdb
maxsize 16777216
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {root_password}
directory {workdir / "data"}
index objectClass eq
index uid eq
index member eq
overlay ppolicy
ppolicy_default "{DEFAULT_POLICY}"
access to attrs=userPassword by anonymous auth by * none
access to * by * read
"""


@dataclass
class LdapDirectory(_Server):
    port: int
    root_password: str
    workdir: Path
    users: tuple[LdapUser, ...]
    process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def user(self, uid: str) -> LdapUser:
        return next(user for user in self.users if user.uid == uid)

    def dashboard_settings(self) -> dict[str, str]:
        """What the dashboard is told to sign in against this directory (setting and variable
        names alike)."""
        return {
            "AUTH_LDAP_SERVER_URI": self.url,
            "AUTH_LDAP_BIND_DN": ROOT_DN,
            "AUTH_LDAP_BIND_PASSWORD": self.root_password,
            "AUTH_LDAP_USER_SEARCH_BASE": PEOPLE,
            # A locked account (password policy) is not found: the re-check treats it as gone.
            "AUTH_LDAP_USER_SEARCH_FILTER": "(&(uid=%(user)s)(!(pwdAccountLockedTime=*)))",
            "AUTH_LDAP_GROUP_SEARCH_BASE": GROUPS,
        }

    @classmethod
    def start(cls) -> LdapDirectory:
        workdir = Path(tempfile.mkdtemp(prefix="ca-slapd-"))
        directory = cls(port=free_port(), root_password=secrets.token_hex(12), workdir=workdir, users=LDAP_USERS)
        try:
            (workdir / "data").mkdir()
            conf = workdir / "slapd.conf"
            conf.write_text(_slapd_conf(workdir, directory.root_password))
            (workdir / "directory.ldif").write_text(_ldif(directory.users))
            # Loaded offline (slapadd), so the locked account is there as written.
            subprocess.run(
                [str(SLAPD.with_name("slapadd")), "-f", str(conf), "-l", str(workdir / "directory.ldif")],
                check=True,
                capture_output=True,
                text=True,
                timeout=30,
            )
            # -d 0: in the foreground (a child the test owns), logging nothing.
            directory._launch([str(SLAPD), "-f", str(conf), "-h", directory.url, "-d", "0"], "slapd")
        except BaseException:
            directory.stop()
            raise
        return directory

    def modify(self, ldif: str) -> None:
        subprocess.run(
            [LDAPMODIFY, "-x", "-H", self.url, "-D", ROOT_DN, "-w", self.root_password],
            input=ldif,
            check=True,
            capture_output=True,
            text=True,
            timeout=15,
        )

    def move(self, uid: str, *, from_group: str, to_group: str) -> None:
        """Take the user out of one group and put it into another, in one modify per group."""
        dn = self.user(uid).dn
        self.modify(f"dn: {group_dn(to_group)}\nchangetype: modify\nadd: member\nmember: {dn}\n")
        self.modify(f"dn: {group_dn(from_group)}\nchangetype: modify\ndelete: member\nmember: {dn}\n")

    def restore(self) -> None:
        """Every group's members and every account's lock as the LDIF has them."""
        changes = []
        for cn in LDAP_GROUPS:
            members = [user.dn for user in self.users if cn in user.groups] or [ROOT_DN]
            changes.append(
                f"dn: {group_dn(cn)}\nchangetype: modify\nreplace: member\n"
                + "".join(f"member: {m}\n" for m in members)
            )
        for user in self.users:
            locked = f"pwdAccountLockedTime: {LOCKED_FOREVER}\n" if user.disabled else ""
            changes.append(f"dn: {user.dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\n{locked}")
        self.modify("\n".join(changes))

    def disable(self, uid: str) -> None:
        """Lock the account as an administrator does with the password-policy overlay."""
        self.modify(
            f"dn: {self.user(uid).dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\n"
            f"pwdAccountLockedTime: {LOCKED_FOREVER}\n"
        )


# --- OpenID Connect -----------------------------------------------------------------------


@dataclass
class OidcUser:
    username: str
    password: str
    groups: list[str]
    name: str = ""
    disabled: bool = False


OIDC_USERS = (
    OidcUser("sso-supervisor", "sup-" + secrets.token_hex(6), ["dashboard-supervisors"], "Sam Supervisor"),
    OidcUser("sso-observer", "obs-" + secrets.token_hex(6), ["dashboard-observers"], "Olga Observer"),
    OidcUser("sso-lead", "lead-" + secrets.token_hex(6), ["dashboard-leads", "everyone"], "Lee Lead"),
    OidcUser("sso-sales", "sal-" + secrets.token_hex(6), ["sales", "everyone"], "Sid Sales"),
)


@dataclass
class OpenIdProvider(_Server):
    port: int
    workdir: Path
    client_id: str
    client_secret: str
    redirect_uris: list[str]
    users: dict[str, OidcUser] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def users_file(self) -> Path:
        return self.workdir / "users.json"

    def write_users(self) -> None:
        data = {
            user.username: {
                "password": user.password,
                "name": user.name or user.username,
                "email": f"{user.username}@example.test",
                "groups": list(user.groups),
                "disabled": user.disabled,
            }
            for user in self.users.values()
        }
        temporary = self.users_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(self.users_file)  # the provider never reads half a file

    def set_groups(self, username: str, groups: list[str]) -> None:
        self.users[username].groups = list(groups)
        self.write_users()

    def disable(self, username: str) -> None:
        self.users[username].disabled = True
        self.write_users()

    def log_in(self, authorize_url: str, username: str, password: str) -> str:
        """What a browser does at the provider: open the authorization URL, fill in its login page,
        follow its redirects. Returns the URL it sends the browser back to (the dashboard's
        callback, with a code or an error), or the login page's text when it stays there."""
        session = requests.Session()
        location = authorize_url
        for _ in range(12):
            if not location.startswith(self.issuer):
                return location
            answer = session.get(location, allow_redirects=False, timeout=10)
            if answer.status_code in (302, 303):
                location = urljoin(location, answer.headers["Location"])
                continue
            action = re.search(r'action="([^"]+)"', answer.text)
            if answer.status_code != 200 or action is None:
                raise AssertionError(f"unexpected answer from {location}: {answer.status_code} {answer.text[:300]}")
            posted = session.post(
                urljoin(location, unescape(action.group(1))),
                data={"login": username, "password": password},
                allow_redirects=False,
                timeout=10,
            )
            if posted.status_code == 200:
                return posted.text
            location = urljoin(location, posted.headers["Location"])
        raise AssertionError("too many redirects at the provider")

    def reset_users(self) -> None:
        self.users = {user.username: OidcUser(**vars(user)) for user in OIDC_USERS}
        self.write_users()

    @classmethod
    def start(
        cls,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str] | None = None,
        *,
        groups_in_id_token_only: bool = False,
    ) -> OpenIdProvider:
        workdir = Path(tempfile.mkdtemp(prefix="ca-idp-"))
        provider = cls(
            port=free_port(),
            workdir=workdir,
            client_id="conference-admin",
            client_secret=secrets.token_hex(16),
            redirect_uris=redirect_uris,
        )
        try:
            provider.reset_users()
            config = {
                "port": provider.port,
                "issuer": provider.issuer,
                "users_file": str(provider.users_file),
                "groups_in_id_token_only": groups_in_id_token_only,
                "clients": [
                    {
                        "client_id": provider.client_id,
                        "client_secret": provider.client_secret,
                        "redirect_uris": redirect_uris,
                        "post_logout_redirect_uris": post_logout_redirect_uris or [],
                    }
                ],
            }
            (workdir / "config.json").write_text(json.dumps(config))
            provider._launch(
                [NODE, str(IDP_DIR / "provider.js"), str(workdir / "config.json")], "the OpenID provider", IDP_DIR
            )
        except BaseException:
            provider.stop()
            raise
        return provider
