"""Dashboard users: a YAML file of usernames, roles and PBKDF2 password hashes.

The hashes are the same ``pbkdf2_sha256$iterations$salt$digest`` strings the central system uses
for station passwords (``baytwin csms hash-password`` makes one), so there is one way to store a
password in the project. Roles are ordered: a viewer looks, an operator also resolves reviews,
an admin may do everything.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from baytwin.core.config import ConfigError, load_yaml, validate
from baytwin.core.csms.config import hash_password, verify_password

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")



@cache
def _unknown_user_hash() -> str:
    """Checked when the username is unknown, so a wrong name costs as long as a wrong password."""
    return hash_password("no such user")


def role_rank(role: str) -> int:
    return ROLES.index(role)  # type: ignore[arg-type]


class User(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1)
    role: Role
    password_hash: str = Field(pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]+$")

    def may(self, min_role: str) -> bool:
        return role_rank(self.role) >= role_rank(min_role)


class UsersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: list[User] = Field(min_length=1)

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[User]) -> list[User]:
        seen: set[str] = set()
        for user in users:
            if user.username in seen:
                raise ValueError(f"username {user.username!r} appears twice")
            seen.add(user.username)
        return users


def load_users(path: Path) -> dict[str, User]:
    """The users of ``path`` by name; a ConfigError (``file: field: problem``) when it is unusable."""
    data = load_yaml(path)
    if "users" not in data:
        raise ConfigError(path, "users", "Field required (a list of username, role, password_hash)")
    return {user.username: user for user in validate(UsersFile, data, path).users}


def authenticate(users: dict[str, User], username: str, password: str) -> User | None:
    """The user when the password matches, else None."""
    user = users.get(username.strip())
    if user is None:
        verify_password(password, _unknown_user_hash())
        return None
    return user if verify_password(password, user.password_hash) else None
