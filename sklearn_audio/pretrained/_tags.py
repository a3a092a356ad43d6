"""The 50 tag names of the musicnn models, in the order of their outputs.

Copied from ``musicnn/configuration.py`` of the ``musicnn`` 0.1.0 wheel
(ISC license, see ``weights/LICENSE-musicnn.txt``). MagnaTagATune (MTT)
tags come from listeners of a music game; Million Song Dataset (MSD) tags
are the 50 most frequent Last.fm tags of its songs, spelling and case kept.
"""

MTT_TAGS = (
    "guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast",
    "piano", "ambient", "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male",
    "singing", "vocals", "no vocals", "harpsichord", "loud", "quiet", "flute", "woman",
    "male vocal", "no vocal", "pop", "soft", "sitar", "solo", "man", "classic", "choir", "voice",
    "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello", "no voice",
    "weird", "country", "metal", "female voice", "choral",
)  # fmt: skip

MSD_TAGS = (
    "rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s",
    "alternative rock", "jazz", "beautiful", "metal", "chillout", "male vocalists",
    "classic rock", "soul", "indie rock", "Mellow", "electronica", "80s", "folk", "90s", "chill",
    "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
    "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country",
    "easy listening", "sexy", "catchy", "funk", "electro", "heavy metal", "Progressive rock",
    "60s", "rnb", "indie pop", "sad", "House", "happy",
)  # fmt: skip


def tags_of(model):
    """The tag names of ``model`` (``"MTT_..."`` or ``"MSD_..."``)."""
    return MTT_TAGS if model.startswith("MTT") else MSD_TAGS
