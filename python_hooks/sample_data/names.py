"""Player names: the lookup-key rule and the per-source spellings.

Every source prints a player's name its own way (the box score keeps accents
and "Jr.", the odds API is plain ASCII and drops the dot, BettingPros writes
"PJ" for "P.J."). ``normalize_player_lookup`` is the one rule of features.md
that maps every spelling to the same key; the dbt macro implements the same.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
# Letters without a canonical decomposition (same map as the dbt macro
# `normalize_player_lookup`), applied after lowercasing.
_LETTER_MAP = str.maketrans({
    "ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i",
    "ŧ": "t", "þ": "th", "ß": "ss", "æ": "ae", "œ": "oe",
})


def strip_accents(name: str) -> str:
    """Remove combining marks after canonical decomposition (Jokić -> Jokic)."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_player_lookup(name: str | None) -> str | None:
    """Lowercase ASCII letters and digits only; accents stripped, suffixes kept.

    >>> normalize_player_lookup("Jaren Jackson Jr.")
    'jarenjacksonjr'
    >>> normalize_player_lookup("Jrue Holiday")
    'jrueholiday'
    """
    if name is None:
        return None
    return _NOT_ALNUM.sub("", strip_accents(name.lower().translate(_LETTER_MAP)))


# (spelling, expected key): the cases the Python rule and the dbt macro must
# both satisfy (tests of either side can import this list).
LOOKUP_CASES: list[tuple[str, str]] = [
    ("Jaren Jackson Jr.", "jarenjacksonjr"),
    ("Jaren Jackson Jr", "jarenjacksonjr"),
    ("Nikola Jokić", "nikolajokic"),
    ("Nikola Jokic", "nikolajokic"),
    ("D'Angelo Russell", "dangelorussell"),
    ("Jrue Holiday", "jrueholiday"),
    ("Ivica Zubac", "ivicazubac"),
    ("Robert Williams III", "robertwilliamsiii"),
    ("P.J. Washington", "pjwashington"),
    ("PJ Washington", "pjwashington"),
    ("O.G. Anunoby", "oganunoby"),
    ("Shai Gilgeous-Alexander", "shaigilgeousalexander"),
    ("Jonas Valančiūnas", "jonasvalanciunas"),
    ("Kristaps Porziņģis", "kristapsporzingis"),
    ("Alperen Şengün", "alperensengun"),
    ("  De'Aaron   Fox ", "deaaronfox"),
    ("Mikkel Sørensen", "mikkelsorensen"),
    ("Marcin Gortał", "marcingortal"),
    ("Lonnie Walker IV", "lonniewalkeriv"),
    ("Trey Murphy III", "treymurphyiii"),
]


@dataclass(frozen=True)
class NameVariants:
    """How each source prints one player."""

    box: str  # gamebook, shot events, rosters, injury report
    odds: str  # odds API
    bettingpros: str


# Hand-picked names that stress normalisation. Accented letters are limited to
# ones that decompose under NFKD (so SQL strip-accent functions agree).
# (box score spelling, odds API spelling or None = ASCII of box,
#  BettingPros spelling or None = ASCII of box, star: bool)
STRESS_NAMES: list[tuple[str, str | None, str | None, bool]] = [
    ("Nikola Jokić", None, None, True),
    ("Luka Dončić", None, None, True),
    ("Shai Gilgeous-Alexander", None, None, True),
    ("Karl-Anthony Towns", None, None, True),
    ("Jaren Jackson Jr.", "Jaren Jackson Jr", None, True),
    ("De'Aaron Fox", None, "DeAaron Fox", True),
    ("Giannis Antetokounmpo", None, None, True),
    ("Bogdan Bogdanović", None, None, False),
    ("Jonas Valančiūnas", None, None, False),
    ("Gary Trent Jr.", "Gary Trent Jr", None, False),
    ("Robert Williams III", None, None, False),
    ("D'Angelo Russell", None, None, False),
    ("P.J. Washington", None, "PJ Washington", False),
    ("OG Anunoby", "O.G. Anunoby", None, False),
    ("Jrue Holiday", None, None, False),
    ("Ivica Zubac", None, None, False),
    ("Kristaps Porziņģis", None, None, True),
    ("Dennis Schröder", None, None, False),
    ("Alperen Şengün", None, None, True),
    ("Jusuf Nurkić", None, None, False),
    ("Dario Šarić", None, None, False),
    ("Théo Maledon", None, None, False),
    ("Nicolò Melli", None, None, False),
    ("Kelly Oubre Jr.", "Kelly Oubre Jr", "Kelly Oubre Jr", False),
    ("Marcus Morris Sr.", "Marcus Morris Sr", None, False),
    ("Wendell Carter Jr.", "Wendell Carter Jr", None, False),
    ("Larry Nance Jr.", "Larry Nance Jr", None, False),
    ("Tim Hardaway Jr.", "Tim Hardaway Jr", None, False),
    ("Derrick Jones Jr.", "Derrick Jones Jr", None, False),
    ("Lonnie Walker IV", None, None, False),
    ("Trey Murphy III", None, None, False),
    ("T.J. McConnell", None, "TJ McConnell", False),
    ("R.J. Hampton", None, "RJ Hampton", False),
    ("Royce O'Neale", None, "Royce ONeale", False),
    ("Day'Ron Sharpe", None, None, False),
    ("Nickeil Alexander-Walker", None, None, False),
    ("Talen Horton-Tucker", None, None, False),
    ("Dāvis Bertāns", None, None, False),
]

# Variants may differ only by accents, dots, apostrophes, hyphens and spaces:
# a source that dropped a suffix would be a different key (not simulated).

FIRST_NAMES = (
    "Aaron Adrian Alec Andre Anthony Austin Bennett Blake Brandon Brook Caleb "
    "Cameron Carter Chris Cole Collin Corey Dalen Damon Darius Davion Dean "
    "Dejon Devin Dominic Donovan Dylan Elijah Emanuel Eric Evan Gabe Garrett "
    "Grant Hayden Isaiah Jabari Jalen Jamal Jaylen Jeremiah Jerome Jordan "
    "Josh Julian Justin Kai Keegan Kendrick Kenny Kevin Khalil Kobe Lamar "
    "Landry Luke Malik Marcus Mason Max Miles Mikal Nate Nico Noah Obi Omar "
    "Paolo Quentin Reggie Ricky Rodney Ryan Scottie Seth Shane Simone Stephon "
    "Terrence Trey Tyrese Tyus Victor Walker Xavier Zach Zion Andrés José "
    "Ömer Renée Élie"
).split()
LAST_NAMES = (
    "Adams Allen Baker Barnes Bell Brooks Bryant Butler Carter Clark Coleman "
    "Collins Cook Cooper Davis Dixon Edwards Ellis Evans Fields Fisher Ford "
    "Foster Freeman Gibson Graham Grant Green Griffin Hall Harris Hayes Hill "
    "Holmes Howard Hughes Hunter Jackson James Jenkins Johnson Jones Jordan "
    "Kelly King Knight Lewis Lyles Marshall Martin Mason McDaniels Miller "
    "Mitchell Moore Morgan Murray Nelson Owens Parker Payne Perry Porter "
    "Powell Price Reed Reid Richards Robinson Ross Sanders Scott Simmons "
    "Smith Stewart Sullivan Taylor Thomas Thompson Turner Walker Wallace "
    "Ward Washington Watson White Williams Wilson Wright Young Muñoz Núñez "
    "Özdemir Petrović Ilić Jovanović Fernández Hernández O'Brien O'Connor "
    "McKenzie-Brown Smith-Jones"
).split()
SUFFIXES = ("Jr.", "II", "III", "IV")


def _ascii_suffix_variant(name: str) -> str:
    """Odds API style: accents stripped, 'Jr.'/'Sr.' lose the dot."""
    plain = strip_accents(name)
    return re.sub(r"\b(Jr|Sr)\.$", r"\1", plain)


def _bettingpros_variant(name: str) -> str:
    """BettingPros style: ASCII, initials without dots ('P.J.' -> 'PJ')."""
    plain = strip_accents(name)
    return re.sub(r"\b([A-Z])\.([A-Z])\.", r"\1\2", plain)


def variants_for(box_name: str) -> NameVariants:
    for box, odds, bp, _star in STRESS_NAMES:
        if box == box_name:
            return NameVariants(
                box=box,
                odds=odds or _ascii_suffix_variant(box),
                bettingpros=bp or _bettingpros_variant(box),
            )
    return NameVariants(
        box=box_name,
        odds=_ascii_suffix_variant(box_name),
        bettingpros=_bettingpros_variant(box_name),
    )


def generate_names(rng: np.random.Generator, count: int, taken: set[str]) -> list[str]:
    """``count`` new unique names (some with suffixes), none colliding by key."""
    taken_keys = {normalize_player_lookup(name) for name in taken}
    names: list[str] = []
    while len(names) < count:
        first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
        last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
        name = f"{first} {last}"
        roll = rng.random()
        if roll < 0.06:
            name = f"{name} {SUFFIXES[int(rng.integers(len(SUFFIXES)))]}"
        elif roll < 0.09:
            initials = "ABCDJKRT"
            a = initials[int(rng.integers(len(initials)))]
            b = initials[int(rng.integers(len(initials)))]
            name = f"{a}.{b}. {last}"
        key = normalize_player_lookup(name)
        if key in taken_keys:
            continue
        taken_keys.add(key)
        names.append(name)
    return names


# ---------------------------------------------------------------------------
# How the production scrapers print and key names (their quirks included)
# ---------------------------------------------------------------------------
_SUFFIX_RE = re.compile(r"\s+(Jr\.?|Sr\.?|II|III|IV)$")
_INJURY_DROP = str.maketrans("", "", " '.-,")


def split_suffix(name: str) -> tuple[str, str]:
    """(name without a trailing Jr./Sr./II/III/IV, the suffix or '')."""
    m = _SUFFIX_RE.search(name)
    return (name[:m.start()], m.group(1)) if m else (name, "")


def last_first(name: str) -> str:
    """The injury report's ``Last, First``: the suffix stays with the last name
    ('Jaren Jackson Jr.' -> 'Jackson Jr., Jaren')."""
    first, _, rest = name.partition(" ")
    return f"{rest}, {first}" if rest else name


def last_name(name: str) -> str:
    """The surname a gamebook prints for an inactive player ('Jackson')."""
    base, _ = split_suffix(name)
    return base.rsplit(" ", 1)[-1]


def suffix_stripped_lookup(name: str) -> str | None:
    """The lookup some writers stored before they kept suffixes
    ('Jaren Jackson Jr.' -> 'jarenjackson')."""
    return normalize_player_lookup(split_suffix(name)[0])


def injury_report_lookup(name: str) -> str:
    """The injury report writer's own (wrong) lookup: spaces and ``'.-,``
    removed, then the substrings jr, sr, ii, iii, iv deleted anywhere, accents
    kept ('Jrue Holiday' -> 'ueholiday', 'Robert Williams III' -> 'robertwilliamsi')."""
    key = name.lower().translate(_INJURY_DROP)
    for part in ("jr", "sr", "ii", "iii", "iv"):
        key = key.replace(part, "")
    return key
