"""Peer files written in the peers' own styles, for the importer tests and the Decide
cross-check (tests/models/test_exchange.py)."""

from __future__ import annotations


def _decide_line(*fields: str | float) -> str:
    return "\t".join(str(f) if isinstance(f, float) else f"'{f}'" for f in fields) + "\n"


#: in the style of Decide's data/input/copenhagen.csv: tab-separated, single quotes, keys that
#: are names ("EU (incl Norway)"); Russia has no #D record on "Extra"
COPENHAGEN = (
    "".join(
        _decide_line("#A", key, key, "")
        for key in (
            "USA",
            "EU (incl Norway)",
            "China India",
            "Least Developed Countries",
            "Alliance of Small Island States",
            "Russia",
        )
    )
    + "".join(
        _decide_line("#P", issue, issue, "") + f"'#M'\t'{issue}'\t0\n'#M'\t'{issue}'\t100\n"
        for issue in ("Newtreaty", "DevlopC2020", "Extra")
    )
    + "".join(
        _decide_line("#D", actor, issue, pos, sal, power)
        for actor, power, stances in (
            ("USA", 0.26, ((10.0, 0.9), (10.0, 0.8), (10.0, 0.6))),
            ("EU (incl Norway)", 0.156, ((50.0, 0.4), (70.0, 0.9), (50.0, 0.4))),
            ("China India", 0.247, ((100.0, 0.9), (70.0, 0.8), (90.0, 0.85))),
            ("Least Developed Countries", 0.078, ((100.0, 0.9), (100.0, 1.0), (100.0, 0.95))),
            ("Alliance of Small Island States", 0.078, ((100.0, 0.9), (90.0, 1.0), (95.0, 0.9))),
            ("Russia", 0.013, ((90.0, 0.7), (60.0, 0.6))),
        )
        for (pos, sal), issue in zip(stances, ("Newtreaty", "DevlopC2020", "Extra"), strict=False)
    )
)

#: in the style of Decide's data/verkiezing 2012.csv: ";"-separated, a comment first, no #M
#: (0-100 scales), and an actor ("50+") with no #D record at all
ELECTION = """\
#/;ID;Full name;;;
#A;SP;SP;;;
#A;PvdA;PvdA;;;
#A;VVD;VVD;;;
#A;CDA;CDA;;;
#A;50+;50+;;;
#/;ID;Full name;;;
#P;hypotheek;hypotheek;;;
#P;huur;huur;;;
#P;bezuinig;bezuinig;;;
#/;actor;issue;position;salience;power
#D;SP;hypotheek;90;0.6;0.464159
#D;SP;huur;0;0.75;0.464159
#D;SP;bezuinig;70.94594595;0.85;0.464159
#D;PvdA;hypotheek;75;0.8;0.63825
#D;PvdA;huur;40;0.7;0.63825
#D;PvdA;bezuinig;86.14864865;0.85;0.63825
#D;VVD;hypotheek;0;0.95;0.648979
#D;VVD;huur;100;0.6;0.648979
#D;VVD;bezuinig;100;0.9;0.648979
#D;CDA;hypotheek;10;0.75;0.442538
#D;CDA;huur;50;0.5;0.442538
"""

KTAB = (
    "Names test,KTAB file with names,4,2,\n"
    "Actor,Description,Influence,Econ Position,Econ Salience,Social Position,Social Salience\n"
    "Xi Jinping (General Secretary),Party leader,80,20,60,30,40\n"
    '"Café ""Owner""",A café owner,10,90,50,70,30\n'
    "Ministério da Economia,Ministry,40,50,40,60,60\n"
    "Xi-Jinping-General-Secretary,Same id after deriving,5,10,50,20,50\n"
)
