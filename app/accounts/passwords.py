"""What makes a password acceptable: long enough, and not one that attackers try first.

The list of common passwords and the guessing estimate come from zxcvbn (MIT licence), which
ships Dropbox's 30,000 most common passwords and patterns such as keyboard runs, dates and
common words with digits on the end; nothing is fetched from the network.
"""

from __future__ import annotations

import re
from functools import lru_cache

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.core.errors import Invalid
from app.core.security import MIN_PASSWORD_LENGTH

# zxcvbn's scale runs 0-4; 3 means "safely unguessable": about 10^8 guesses or more, which is
# beyond an attacker online and slows one offline with our argon2 hashes.
MIN_STRENGTH = 3
# zxcvbn refuses longer input; the first 72 characters already decide how guessable it is.
_ESTIMATE_LENGTH = 72
TOO_COMMON = (
    "is too common or too easy to guess: use three or four unrelated words, "
    "or let a password manager choose one"
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The most common passwords, lower case."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def _core(password: str) -> str:
    # "Password2024!" is "password" with the usual decorations at each end.
    return re.sub(r"^[\W\d_]+|[\W\d_]+$", "", password.lower())


def is_common(password: str) -> bool:
    """True for a password on the common list, with or without digits and symbols around it."""
    common = common_passwords()
    return password.lower() in common or _core(password) in common


def check_password(password: str, *, field: str = "password", personal: tuple[str, ...] = ()) -> None:
    """Refuse a password that is too short, common, easy to guess or made of the person's own
    details (`personal`: their email address and name), naming the form field."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"must be at least {MIN_PASSWORD_LENGTH} characters", field=field)
    if is_common(password):
        raise Invalid(TOO_COMMON, field=field)
    lowered = password.lower()
    for detail in personal:
        # The email address, its local part and the name all count as the person's details.
        for part in {detail.lower(), detail.lower().split("@")[0]}:
            if len(part) >= 4 and part in lowered and len(lowered) - len(part) < MIN_PASSWORD_LENGTH:
                raise Invalid("must not be mostly your name or email address", field=field)
    if zxcvbn(password[:_ESTIMATE_LENGTH])["score"] < MIN_STRENGTH:
        raise Invalid(TOO_COMMON, field=field)
