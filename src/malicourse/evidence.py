"""Reading lists: the documents a lesson cites for each step of its argument.

They are course content, like the prose that discusses them, so they are kept here rather than
in a long notebook cell. Every id must resolve in ``data/sources.csv``; the lesson checks that
on screen before it cites them, and a test checks it on every run.
"""

from __future__ import annotations

# Lesson 05, section 4: the documents behind each counter-argument to the op-ed.
COUNTER_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "civilian harm": (
        "omondo-2022-03-minusma-civilians-2021",
        "tanakra-2022-minusma-note-q2",
        "archyde-afp-2023-03-minusma-2022",
        "hrw-2024-12-mali-army-wagner-atrocities",
    ),
    "regional drivers": (
        "reuters-dehai-2012-02-10-libya-arms-mali",
        "stratfor-defenceweb-2012-mali-fighters-libya",
        "wikimili-tuareg-rebellion-2012",
        "reliefweb-acled-2019-sahel",
    ),
    "kidal 2013": (
        "france24-2013-01-28-mnla-controls-kidal",
        "rfi-2013-02-02-hollande-timbuktu",
        "sauress-alsharq-2013-french-kidal-malian-army-absent",
        "france24-2013-04-19-who-controls-kidal",
        "digitaljournal-2013-05-13-kidal-mnla",
    ),
    "partners' limits": (
        "un-press-sc12426-res2295",
        "trt-2023-12-31-minusma-withdraws",
        "matzavreview-2021-10-20-mali-negotiations",
    ),
    "dialogue": (
        "malizine-2017-04-03-cen",
        "arabnews-2021-10-20-hci-dialogue",
        "kapitalafrik-2021-10-govt-denies",
    ),
    "sanctions 2022": (
        "crisis24-2022-03-10-ecowas-sanctions",
        "cajnews-2022-01-19-sanctions-ngos",
        "tellerreport-rfi-2022-07-04-sanctions-cost",
        "24haubenin-2022-03-uemoa-ordonnance",
        "corafrika-zevounou-2022-sanctions-illegales",
        "ihrda-ecowas-protocol-article-1",
    ),
    "the junta's first words": (
        "abamako-2020-08-20-barkhane-poursuit",
        "burkina24-rfi-2020-08-26-junta-partners",
        "aib-2021-09-26-maiga-unga",
    ),
    "neocolonialism": (
        "nzherald-2022-04-gossi",
        "tellerreport-rfi-2022-04-22-gossi",
        "mondafrique-2022-malimetre",
        "sahel24-2024-03-malimetre",
        "theafricareport-2023-05-malimetre",
    ),
}


def counter_arguments() -> dict[str, list[str]]:
    """Lesson 05, section 4: topic -> the source_ids cited for that counter-argument."""
    return {topic: list(ids) for topic, ids in COUNTER_ARGUMENTS.items()}
