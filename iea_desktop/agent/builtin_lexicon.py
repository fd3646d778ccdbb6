"""The built-in assistant's vocabulary, as data: which words mean which change, and by how much.

Nothing here runs; ``builtin_parse.py`` compiles these tables into one matcher. To teach the
assistant a new phrase, add it to the right table. All keys are lower case, after the parser's
normalisation (``colour`` -> ``color``, ``don't`` -> ``do not``, ``b&w`` -> ``blackandwhite``).
"""

from __future__ import annotations

# --- axes: what a wish changes, and with which tools --------------------------------------------
# For each direction, (tool, weight) pairs: the first is the primary tool; weights below 1 are
# secondary helpers (dropped when the person says "nothing else" or limits the tools).
# Colour boosts use saturation, not vibrance: vibrance (version 2, the spec's intended formula) adds
# saturation in proportion to 1 - S, so near-grey walls and skies take on their faint tint many times
# over (a slight warm cast doubles) and exact greys turn red. Vibrance is used only when named.
AXES: dict[str, dict[str, tuple[tuple[str, float], ...]]] = {
    "light": {"+": (("exposure", 1.0),), "-": (("exposure", 1.0),)},
    "brightness": {"+": (("brightness", 1.0),), "-": (("brightness", 1.0),)},
    "contrast": {"+": (("contrast", 1.0),), "-": (("contrast", 1.0),)},
    "clarity": {"+": (("natural_contrast", 1.0),), "-": (("natural_contrast", 1.0),)},
    "color": {"+": (("saturation", 1.0),), "-": (("saturation", 1.0),)},
    "vivid": {"+": (("saturation", 1.0), ("contrast", 0.5)), "-": (("saturation", 1.0),)},
    "saturation": {"+": (("saturation", 1.0),), "-": (("saturation", 1.0),)},
    "vibrance": {"+": (("vibrance", 1.0),), "-": (("vibrance", 1.0),)},
    "warmth": {"+": (("temperature", 1.0),), "-": (("temperature", 1.0),)},
    "tint": {"+": (("tint", 1.0),), "-": (("tint", 1.0),)},
    "shadows": {"+": (("shadows", 1.0),), "-": (("shadows", 1.0),)},
    "highlights": {"+": (("highlights", 1.0),), "-": (("highlights", 1.0), ("whites", 0.4))},
    "whites": {"+": (("whites", 1.0),), "-": (("whites", 1.0),)},
    "blacks": {"+": (("blacks", 1.0),), "-": (("blacks", 1.0),)},
    "fade": {"+": (("fade", 1.0),), "-": (("fade", 1.0),)},  # fade only goes up; see builtin.py
    "grain": {"+": (("grain", 1.0),), "-": (("grain", 1.0),)},  # grain only goes up; see builtin.py
    "vignette": {"+": (("vignette", 1.0),), "-": (("vignette", 1.0),)},
    "sharpness": {"+": (("sharpness", 1.0),), "-": (("sharpness", 1.0),)},
    # Fixed combinations for complaints that need more than one tool.
    "dehaze": {"+": (("contrast", 1.0), ("blacks", -0.8), ("saturation", 0.5)), "-": (("fade", 1.0),)},
    "washed": {"+": (("contrast", 1.0), ("blacks", -0.6), ("saturation", 0.6)), "-": (("fade", 1.0),)},
    "dull": {"+": (("saturation", 1.0), ("contrast", 0.6)), "-": (("saturation", 1.0), ("contrast", -0.5))},
    "pop": {"+": (("saturation", 1.0), ("natural_contrast", 0.5)), "-": (("saturation", 1.0),)},
    "muddy": {"+": (("contrast", 1.0), ("natural_contrast", 0.6)), "-": (("contrast", 1.0),)},
}

# How far one ordinary request ("warmer", "more contrast") moves each tool; intensity words scale it.
DEFAULT_STEP: dict[str, int] = {
    "exposure": 25, "brightness": 15, "contrast": 20, "fade": 25, "natural_contrast": 20,
    "highlights": 25, "shadows": 25, "whites": 15, "blacks": 15, "saturation": 20, "vibrance": 25,
    "temperature": 20, "tint": 12, "grain": 20, "vignette": 25, "sharpness": 25,
}

# Tools that only act for positive values (their help says so).
POSITIVE_ONLY = ("fade", "grain")

# --- adjectives ----------------------------------------------------------------------------------
# word -> (axis, sign, kind)
#   "state":   a plain quality. A request ("warm", "make it bright") unless the person complains
#              about it ("too warm", "it is dark"), which asks for the opposite.
#   "change":  a comparative or a verb ("warmer", "darken"): always a request in its direction.
#   "problem": a fault ("blurry", "flat", "underexposed"): the fix goes the other way, unless the
#              person asks for more of it ("make it more blurry").
ADJECTIVES: dict[str, tuple[str, int, str]] = {}


def _adj(axis: str, sign: int, kind: str, *words: str) -> None:
    for word in words:
        ADJECTIVES[word] = (axis, sign, kind)


_adj("light", +1, "state", "bright", "light", "luminous", "well lit", "white")
_adj("light", -1, "state", "black")
_adj("light", +1, "change", "whiter")
_adj("light", -1, "change", "blacker")
_adj("blacks", -1, "change", "black looks gray", "blacks look gray", "blacks are gray", "gray blacks",
     "blacks are not black", "black is not black", "blacks look washed out", "blacks look faded")
_adj("light", -1, "state", "dark", "dim", "gloomy", "shadowy", "somber")
_adj("light", +1, "change", "brighter", "lighter", "brighten", "lighten", "brighten up", "lighten up",
     "light up", "brigther", "brighter up", "lit up", "expose more", "more exposed")
_adj("light", -1, "change", "darker", "darken", "dimmer", "darken down", "tone down the brightness", "dim down")
_adj("light", +1, "problem", "overexposed", "over exposed", "over-exposed", "too much light", "burnt",
     "burned", "blinding")
_adj("light", -1, "problem", "underexposed", "under exposed", "under-exposed", "too little light", "murky",
     "pitch black", "pitch dark", "too dim")

_adj("contrast", +1, "state", "contrasty", "high contrast", "contrasted", "bold", "harsh")
_adj("contrast", -1, "state", "low contrast")
_adj("contrast", +1, "change", "punchier", "contrastier", "more contrasted")
_adj("contrast", -1, "change", "flatter", "flatten", "less contrasty")
_adj("contrast", -1, "problem", "flat", "lifeless", "dead", "no contrast", "no depth", "lacks contrast",
     "lacks depth", "low contrast")
# "harsh" and "contrasty" are states: "too harsh" -> less contrast.

_adj("vivid", +1, "state", "vivid", "vibrant", "punchy", "lively", "poppy", "striking", "alive", "fresh",
     "juicy")
_adj("vivid", +1, "change", "livelier", "more vivid", "more vibrant", "punch up")
_adj("color", +1, "state", "colorful", "saturated", "rich", "intense", "bright colored", "bold colored")
_adj("color", -1, "state", "muted", "desaturated", "subdued", "understated", "toned down", "calm")
_adj("color", +1, "change", "bring back the color", "bring the color back", "color back", "back to color",
     "in color", "restore the color", "colors back", "bring back the colors", "bring the colors back",
     "saturate", "richer", "colorfuller", "more saturated", "brighter colors",
     "more color", "more colors", "deeper colors", "stronger colors", "richer colors", "colorize")
_adj("color", -1, "change", "desaturate", "mute", "less saturated", "duller", "more muted", "softer colors",
     "tone down the colors", "calm down the colors")
_adj("color", -1, "problem", "colorless", "pale", "faded colors", "drab", "bland", "washed", "no color",
     "lacks color", "no colors", "undersaturated", "under saturated", "grayish", "greyish")
_adj("color", +1, "problem", "oversaturated", "over saturated", "over-saturated", "garish", "neon", "cartoonish",
     "radioactive", "too much color", "too much colors", "too colorful", "overcooked", "gaudy")

_adj("warmth", +1, "state", "warm", "golden", "yellow", "yellowish", "orange", "orangey", "orangy", "orangish",
     "amber", "red", "reddish", "warm toned", "warm tone", "warm tones", "cozy", "brownish")
_adj("warmth", -1, "state", "cool", "cold", "blue", "bluish", "blueish", "icy", "chilly", "cool toned",
     "cool tone", "cool tones", "cold toned", "frosty")
_adj("warmth", +1, "change", "warmer", "warm up", "warm it up", "warm up the colors", "yellower", "redder",
     "more golden", "goldener", "more orange", "warmen")
_adj("warmth", -1, "change", "cooler", "colder", "cool down", "cool it down", "cool off", "bluer",
     "more blue", "less yellow", "cool the colors")

_adj("tint", +1, "state", "green", "greenish", "greeny")
_adj("tint", -1, "state", "magenta", "pink", "pinkish", "purple", "purplish", "violet", "rosy")
_adj("tint", +1, "change", "greener", "more green")
_adj("tint", -1, "change", "pinker", "purpler", "more magenta", "more pink", "more purple")

_adj("sharpness", +1, "state", "sharp", "crisp", "detailed", "clear", "defined", "in focus", "focused", "clean")
_adj("sharpness", -1, "state", "soft", "smooth", "silky", "hazy soft")
_adj("sharpness", +1, "change", "sharper", "crisper", "sharpen", "clearer", "sharpen up", "more detail",
     "more details", "more detailed", "deblur", "unblur", "more defined", "enhance detail", "enhance details",
     "more definition", "add detail", "add details", "sharpen it")
_adj("sharpness", -1, "change", "softer", "blur", "blurrier", "soften", "smoother", "smoothen", "blur it",
     "soften it", "less sharp", "less crisp")
_adj("sharpness", -1, "problem", "blurry", "blurred", "fuzzy", "out of focus", "unsharp", "unfocused",
     "not in focus", "soft focus", "not sharp", "lacks detail", "no detail", "smudgy", "mushy")
_adj("sharpness", +1, "problem", "oversharpened", "over sharpened", "over-sharpened", "crunchy", "too crispy")

_adj("grain", +1, "state", "grainy", "gritty")
_adj("grain", +1, "change", "grainier", "grittier", "add grain")
_adj("fade", +1, "state", "faded", "washed-out film")
_adj("fade", +1, "change", "fade", "fade it", "fade out", "more faded")
_adj("dehaze", -1, "problem", "hazy", "haze", "foggy", "milky", "misty", "smoggy")
_adj("dehaze", +1, "change", "dehaze", "de-haze", "remove the haze", "cut through the haze", "cut the haze",
     "remove haze", "clear the haze", "clear up the haze", "reduce haze", "reduce the haze")
_adj("washed", -1, "problem", "washed out", "washed-out", "washy", "faded out", "bleached")
_adj("dull", -1, "problem", "dull", "boring", "meh", "uninspiring", "plain")
_adj("pop", +1, "change", "pop", "make the colors pop", "more pop", "colors pop", "pops", "popping", "zing",
     "more punch", "some punch", "some pop", "more zing")
_adj("muddy", -1, "problem", "muddy", "dingy", "murky colors")
_adj("depth", +1, "state", "deep")
_adj("depth", +1, "change", "deeper", "deepen")
_adj("shadows", +1, "change", "see the shadows", "see into the shadows", "see in the shadows",
     "see the dark parts", "see the dark areas", "shadow detail", "detail in the shadows",
     "details in the shadows", "open up the shadows", "open the shadows", "bring out the shadows",
     "recover the shadows", "rescue the shadows", "lift the shadows", "lost in the shadows",
     "lost in shadow", "see the details", "see the detail")
_adj("light", +1, "change", "see anything", "see a thing", "see much", "see properly", "see it", "see clearly")
_adj("shadows", -1, "problem", "crushed shadows", "shadows are crushed", "shadows crushed", "blocked up",
     "blocked shadows", "blocked-up shadows")
_adj("highlights", +1, "state", "shiny", "glaring", "glary", "glossy")
_adj("highlights", +1, "problem", "blown out", "blown-out", "blown", "overblown", "clipped", "burnt out",
     "burned out", "burnt-out", "too white")
_adj("highlights", -1, "change", "recover the highlights", "recover highlights", "rescue the highlights",
     "rescue the sky", "recover the sky", "bring back the sky", "bring back the highlights",
     "tame the highlights", "save the highlights", "save the sky", "bring back the clouds",
     "bring out the clouds", "see the clouds", "highlight detail", "detail in the sky", "details in the sky")
_adj("blacks", -1, "change", "crush the blacks", "deeper blacks", "richer blacks", "true blacks", "inkier")
_adj("blacks", +1, "change", "lift the blacks", "raise the blacks", "lifted blacks", "milky blacks")
_adj("vignette", +1, "change", "darker corners", "darken the corners", "darken the edges", "darker edges",
     "frame the subject", "draw the eye", "focus on the subject", "burn the corners", "burn the edges")
_adj("vignette", -1, "change", "lighter corners", "brighten the corners", "lighten the corners",
     "brighter corners", "brighten the edges", "lighter edges", "brighter edges", "lighten the edges")

# "level" words describe an amount of whatever noun they go with ("the contrast is too high").
LEVEL_ADJECTIVES: dict[str, int] = {
    "high": +1, "strong": +1, "heavy": +1, "intense": +1, "big": +1, "harsh": +1, "extreme": +1,
    "much": +1, "powerful": +1, "overpowering": +1, "aggressive": +1,
    "low": -1, "weak": -1, "subtle": -1, "little": -1, "faint": -1, "gentle": -1, "small": -1,
    "barely visible": -1, "invisible": -1, "hardly visible": -1,
}

# --- nouns ---------------------------------------------------------------------------------------
# noun -> the axis it names. Region nouns redirect brightness words: "the shadows are too dark".
NOUNS: dict[str, str] = {}


def _noun(axis: str, *words: str) -> None:
    for word in words:
        NOUNS[word] = axis


_noun("light", "exposure", "brightness", "lightness", "light levels", "lighting", "luminosity", "overall brightness")
_noun("contrast", "contrast", "contrasts", "punch")
_noun("clarity", "clarity", "natural contrast", "midtone contrast", "local contrast", "depth", "definition",
      "s-curve", "s curve", "structure", "texture")
_noun("color", "colors", "color", "colours", "colorfulness", "chroma")
_noun("saturation", "saturation")
_noun("vibrance", "vibrance", "vibrancy")
_noun("warmth", "warmth", "temperature", "white balance temperature", "warm tones", "yellow tones", "orange tones")
_noun("tint", "tint", "green tint", "magenta tint")
_noun("shadows", "shadows", "shadow", "darks", "dark areas", "dark parts", "dark tones", "shade", "shaded areas",
      "lowlights", "dark spots", "dark bits", "low lights")
_noun("highlights", "highlights", "highlight", "sky", "skies", "clouds", "bright areas", "bright parts",
      "bright spots", "light areas", "bright tones", "lights", "window", "windows", "sun", "lamp", "lamps", "glare",
      "reflections", "shine")
_noun("whites", "whites", "white point", "white tones")
_noun("blacks", "blacks", "black point", "black tones", "black levels", "black level")
_noun("fade", "fade", "fading")
_noun("grain", "grain", "film grain", "grains", "graininess")
_noun("vignette", "vignette", "vignetting", "vignettes", "corners", "edges", "dark corners", "dark edges",
      "borders")
_noun("sharpness", "sharpness", "sharpening", "detail", "details", "focus", "crispness", "sharpen", "softness",
      "blur", "blurriness")
_noun("noise", "noise", "noisiness", "digital noise", "color noise", "speckles", "artifacts", "artefacts")
_noun("face", "face", "faces", "skin", "subject", "person", "people", "foreground", "model", "portrait",
      "skin tones", "skin tone")
_noun("background", "background", "backdrop")

# Where a noun names exact tools, for "only the X" and "don't touch the X".
NOUN_TOOLS: dict[str, tuple[str, ...]] = {
    "light": ("exposure", "brightness"),
    "contrast": ("contrast", "natural_contrast"),
    "clarity": ("natural_contrast",),
    "color": ("saturation", "vibrance", "temperature", "tint"),
    "warmth": ("temperature",),
    "tint": ("tint",),
    "shadows": ("shadows",),
    "highlights": ("highlights", "whites"),
    "whites": ("whites",),
    "blacks": ("blacks",),
    "fade": ("fade",),
    "grain": ("grain",),
    "vignette": ("vignette",),
    "sharpness": ("sharpness",),
    "noise": ("grain", "sharpness"),
    "tone": ("exposure", "brightness", "contrast", "natural_contrast", "highlights", "shadows", "whites", "blacks",
             "fade"),
}
_noun("tone", "tones", "tonality", "tone", "tonal range")

# Exact tool words, for numbers ("exposure +20", "set contrast to -10") and removals.
TOOL_WORDS: dict[str, str] = {
    "exposure": "exposure", "brightness": "brightness", "contrast": "contrast", "fade": "fade",
    "natural contrast": "natural_contrast", "natural_contrast": "natural_contrast", "s-curve": "natural_contrast",
    "highlights": "highlights", "highlight": "highlights", "shadows": "shadows", "shadow": "shadows",
    "whites": "whites", "blacks": "blacks", "saturation": "saturation", "vibrance": "vibrance",
    "temperature": "temperature", "warmth": "temperature", "white balance": "temperature", "tint": "tint",
    "grain": "grain", "film grain": "grain", "vignette": "vignette", "vignetting": "vignette",
    "sharpness": "sharpness", "sharpening": "sharpness", "sharpen": "sharpness", "clarity": "natural_contrast",
    "hue": "temperature", "lightness": "highlights",
}

# --- modifiers -----------------------------------------------------------------------------------
INTENSITY: dict[str, float] = {
    "a tiny bit": 0.3, "a tiny little bit": 0.3, "tiny bit": 0.3, "very slightly": 0.3, "ever so slightly": 0.3,
    "a touch": 0.35, "just a touch": 0.35, "a hint": 0.35, "a smidge": 0.35, "a tad": 0.4, "a hair": 0.35,
    "barely": 0.3, "a very little": 0.3, "the tiniest bit": 0.25, "tiny": 0.35,
    "a bit": 0.5, "a little": 0.5, "a little bit": 0.5, "a wee bit": 0.4, "slightly": 0.5, "somewhat": 0.6,
    "kind of": 0.6, "kinda": 0.6, "sort of": 0.6, "mildly": 0.5, "subtly": 0.45, "subtle": 0.45,
    "gently": 0.5, "lightly": 0.5, "marginally": 0.4, "bit": 0.5, "little": 0.5, "just a bit": 0.45,
    "just a little": 0.45, "softly": 0.5, "modestly": 0.6, "moderately": 0.75, "some": 0.8, "rather": 0.9,
    "fairly": 0.9, "quite": 1.2, "pretty": 1.2,
    "a lot": 1.7, "lots": 1.7, "much": 1.6, "very": 1.5, "really": 1.5, "so": 1.4, "super": 1.8,
    "way": 1.8, "far": 1.7, "significantly": 1.6, "considerably": 1.6, "noticeably": 1.4, "strongly": 1.6,
    "heavily": 1.7, "seriously": 1.6, "dramatically": 1.9, "massively": 2.0, "hugely": 2.0, "extremely": 2.0,
    "insanely": 2.0, "incredibly": 2.0, "totally": 1.8, "completely": 2.0, "a great deal": 1.8,
    "very very": 2.0, "really really": 2.0, "so so": 2.0, "tons": 1.8, "loads": 1.8, "a ton": 1.8,
    "twice as": 2.0, "2x": 1.8, "3x": 2.0, "twice": 1.8, "heaps": 1.7, "tons more": 1.8,
}

# Say it should go up / down (with a noun: "more contrast", "reduce the grain"; alone: a follow-up).
UP_WORDS = ("more", "increase", "increased", "boost", "raise", "higher", "add", "add some", "add a", "up",
            "bump up", "bump", "pump up", "crank up", "crank", "turn up", "push", "push up", "enhance", "amplify",
            "intensify", "strengthen", "stronger", "heighten", "maximize", "emphasize", "bring out", "bring up",
            "lift", "lift up", "open up", "extra", "plus", "further", "go further", "even more", "not enough",
            "too little", "more of", "needs more", "need more", "want more", "put more", "give it more", "give more",
            "add more", "boost up", "stronger please", "exaggerate", "accentuate", "deepen the effect")
DOWN_WORDS = ("less", "reduce", "reduced", "decrease", "lower", "lessen", "cut", "cut down", "tone down",
              "dial back", "dial down", "dial it back", "dial it down", "turn down", "pull back", "pull down",
              "bring down", "weaker", "tame", "minimize", "fewer", "too much", "too strong", "too heavy",
              "too intense", "overdone", "drop the", "drop", "overkill", "too far", "a bit much", "subtler",
              "more subtle",
              "tone it down", "calm down", "soften the effect", "back off", "ease off", "ease up", "rein in",
              "scale back", "not so much", "not as much", "less of", "lose some", "drop down", "go easy on",
              "go easier on", "half", "halve", "overpowering", "too obvious", "too noticeable", "too visible",
              "way too much", "much less", "down", "a bit too much", "a little too much", "slightly too much",
              "lighten up on", "back it off", "pull it back", "dampen", "downplay")
REMOVE_WORDS = ("remove", "get rid of", "no", "no more", "without", "do not like the", "do not like", "dislike",
                "hate the", "hate", "not a fan of", "do not want the", "do not want", "no need for", "turn off",
                "switch off", "lose", "kill", "delete",
                "take off", "take away", "take out", "eliminate", "disable", "erase", "ditch", "reset",
                "do away with", "undo the", "cancel", "strip", "strip out", "clean up the", "zero", "zero out")

NEGATIONS = ("not", "do not", "does not", "did not", "never", "no longer", "nothing", "is not", "are not",
             "should not", "was not", "without being", "neither", "nor")
TOO_WORDS = ("too", "overly", "over", "excessively", "a bit too", "a little too", "slightly too", "way too",
             "far too", "much too", "far too much", "too too", "bit too", "little too", "rather too", "a tad too",
             "so very")
COPULAS = ("is", "are", "looks", "look", "seems", "seem", "feels", "feel", "appears", "appear", "got", "came out",
           "turned out", "it is", "i find it", "comes across", "kind of", "kinda", "sort of", "was", "were",
           "getting", "has become", "is way", "is very", "is so", "is a bit", "is kind of", "has", "has a", "have",
           "there is", "there is a", "got a", "came out a bit", "the photo is", "the picture is", "the image is")

# --- scope: "only the exposure", "don't touch the colors", "nothing else" -----------------------------
NOTHING_ELSE = ("nothing else", "not anything else", "no other changes", "no other edits", "leave the rest",
                "leave everything else", "leave the rest alone", "everything else as is", "everything else alone",
                "rest alone", "that is it", "and that is all", "no other change", "not touch anything else",
                "not change anything else", "keep the rest", "rest as is", "rest as it is")
KEEP_VERBS = ("do not touch", "do not change", "do not alter", "do not adjust", "do not modify", "do not mess with",
              "do not edit", "do not do anything to", "never touch", "leave", "keep", "preserve", "without changing",
              "without touching", "without affecting", "without altering", "but not the", "not the", "hands off",
              "stay away from", "do not make changes to", "no changes to", "no change to", "nothing to",
              "do not play with", "do not fiddle with", "not touching", "not changing")
FINE_WORDS = ("fine", "good", "ok", "okay", "great", "perfect", "right", "nice", "correct", "alright", "all right",
              "as is", "as they are", "as it is", "alone", "untouched", "unchanged", "the same", "intact")

# --- looks: several tools at once ------------------------------------------------------------------------
# name -> (words that ask for it, {tool: value}, a short description for the reply)
LOOKS: dict[str, tuple[tuple[str, ...], dict[str, int], str]] = {
    "vintage": (("vintage", "retro", "old photo", "old-fashioned", "old fashioned", "nostalgic", "70s", "1970s",
                 "seventies", "polaroid", "aged", "old school", "oldschool", "old timey", "old-timey", "antique",
                 "throwback", "old film", "look old", "look older", "old looking", "older looking", "older",
                 "old", "aged look", "grandma", "grandpa", "from the 70s", "from the 80s", "80s", "1980s"),
                {"fade": 30, "temperature": 20, "saturation": -20, "vignette": 25, "grain": 15},
                "faded, warm, softer colours, darker corners and a little grain"),
    "black and white": (("blackandwhite", "monochrome", "mono", "grayscale", "gray scale", "greyscale",
                         "monochromatic", "no colors at all", "no color at all", "without color", "without colors",
                         "remove the colors", "remove the color", "remove all color", "remove all colors",
                         "desaturate completely", "fully desaturated", "completely desaturated", "black white",
                         "blackwhite", "bnw", "colorless look"),
                        {"saturation": -100, "contrast": 15},
                        "all colour removed, with a little extra contrast"),
    "sepia": (("sepia", "sepia tone", "sepia toned", "brown tone", "old brown", "brownish old"),
              {"saturation": -100, "temperature": 40, "fade": 10},
              "black and white toned warm brown"),
    "golden hour": (("golden hour", "golden-hour", "sunset look", "sunset glow", "warm glow", "magic hour",
                     "sunset light", "sunset colors", "sunset vibe", "sunset feel", "evening light",
                     "sunlit", "sun kissed", "sunkissed", "golden light", "golden glow"),
                    {"temperature": 35, "tint": -5, "saturation": 15, "shadows": 10},
                    "warm golden light with richer colours"),
    "moody": (("moody", "dark and moody", "darkandmoody", "brooding", "atmospheric", "melancholic", "melancholy",
               "sombre", "dark mood", "moodier", "more moody", "mood"),
              {"exposure": -15, "contrast": 15, "saturation": -25, "shadows": -15, "temperature": -10, "vignette": 35},
              "darker, cooler, muted colours and dark corners"),
    "dreamy": (("dreamy", "dreamlike", "ethereal", "soft glow", "glowy", "glowing", "romantic", "softanddreamy",
                "soft and dreamy", "fairytale", "fairy tale", "hazy look", "whimsical", "dreamier"),
               {"exposure": 10, "fade": 20, "highlights": 20, "saturation": -10, "sharpness": -25},
               "brighter, soft and slightly faded"),
    "cinematic": (("cinematic", "film look", "movie look", "movie", "filmic", "hollywood", "blockbuster",
                   "tealorange", "orangeteal", "cinema", "like a movie", "movie still", "film still"),
                  {"contrast": 20, "blacks": -10, "saturation": -15, "temperature": -10, "vignette": 30},
                  "more contrast, deeper blacks, cooler muted colours and dark corners"),
    "film": (("film", "analog", "analogue", "kodak", "portra", "fuji", "fujifilm", "film stock", "35mm",
              "film camera", "shot on film", "filmy", "film photo", "film photography", "kodachrome", "ektar"),
             {"fade": 15, "natural_contrast": 15, "temperature": 10, "grain": 25, "vignette": 15},
             "a film-like curve, slight warmth, grain and soft corners"),
    "teal": (("teal", "teal look", "cool teal", "cool teal look", "cool look", "cold look", "cool tones look", "icy look", "arctic", "nordic",
              "scandinavian", "cool film"),
             {"temperature": -25, "tint": 8, "saturation": -5},
             "cool blue-green tones"),
    "winter": (("winter", "wintery", "wintry", "snowy look", "frozen", "winter look", "frosty look"),
               {"temperature": -25, "saturation": -15, "exposure": 10},
               "cool, bright and slightly muted"),
    "airy": (("brightairy", "light and airy", "bright and airy", "airy", "high key", "high-key", "highkey",
              "clean and bright", "bright and clean"),
             {"exposure": 30, "shadows": 20, "contrast": -15, "saturation": -10, "highlights": 10},
             "bright, open shadows and soft contrast"),
    "dramatic": (("dramatic", "drama", "low key", "low-key", "lowkey", "epic", "intense look", "gritty look",
                  "more dramatic", "bold look", "powerful look"),
                 {"contrast": 30, "natural_contrast": 20, "blacks": -15, "vignette": 25, "saturation": -10},
                 "strong contrast, deep blacks and dark corners"),
    "hdr": (("hdr", "high dynamic range", "hdr look", "hdr effect"),
            {"shadows": 35, "highlights": -35, "natural_contrast": 25, "saturation": 20, "sharpness": 20},
            "open shadows, held highlights, strong detail and colour"),
    "noir": (("noir", "film noir", "filmnoir", "dark black and white", "gritty black and white", "detective"),
             {"saturation": -100, "contrast": 40, "blacks": -20, "vignette": 40, "grain": 10},
             "high-contrast black and white with dark corners"),
    "pastel": (("pastel", "pastels", "pastel colors", "pastel look", "soft colors", "candy", "soft pastel"),
               {"exposure": 15, "fade": 20, "contrast": -15, "saturation": -25, "highlights": 10},
               "bright, soft and gently faded colours"),
    "instagram": (("instagram", "insta", "instagrammy", "instagram look", "social media", "influencer",
                   "instagram filter", "insta look"),
                  {"saturation": 20, "contrast": 15, "fade": 10, "temperature": 8, "vignette": 15},
                  "punchy colours, a soft fade, a little warmth and dark corners"),
    "lomo": (("lomo", "lomography", "toy camera", "holga", "diana camera", "cross process", "cross processed",
              "cross-processed"),
             {"vignette": 50, "saturation": 30, "contrast": 25, "temperature": 10},
             "saturated and contrasty with heavy dark corners"),
    "summer": (("summer", "summery", "summer vibe", "summer look", "tropical", "beach look", "holiday look",
                "vacation look", "sunny", "sunnier", "sunshine", "more sunny", "sunny day", "sunny look"),
               {"temperature": 20, "saturation": 20, "exposure": 10},
               "warm, bright and colourful"),
    "autumn": (("autumn", "autumnal", "fall colors", "fall look", "fall vibe", "autumn colors", "autumn look"),
               {"temperature": 25, "tint": -5, "saturation": 15, "vignette": 10},
               "warm, rich autumn colours"),
    "spooky": (("spooky", "creepy", "horror", "halloween", "eerie", "haunted", "sinister", "scary"),
               {"exposure": -20, "temperature": -20, "saturation": -35, "vignette": 40, "contrast": 15},
               "dark, cold and drained of colour"),
}
BLACK_AND_WHITE_LOOKS = ("black and white", "sepia", "noir")
# Tools that colour a black-and-white result (they run after saturation) and are cleared by such looks.
COLOR_AFTER_BW = ("vibrance", "temperature", "tint")

# --- the tools beyond the 16 (issue 15) -------------------------------------------------------------
# (regular expression, kind, sign), matched on each clause before anything else; the matched words
# are then taken out of the clause. Kinds: "white_balance" (sign +1 warmer, -1 cooler, 0 auto),
# "dehaze", "punch" (clarity), "detail" (clarity and texture), "greens" and "sky" (colour mixer),
# "matte" (tone curve), "skin" (texture); a clause that also says "remove", "no", "less" ... asks
# for less of it (sign -1). Noise reduction and dehaze complaints ("noisy", "hazy") come through the
# ordinary adjectives (builtin.py routes them to the new tools).
_CAST_BEFORE = r"(?:too|overly|looks?|is|are|seems?|feels?|came out|turned out)\s+(?:(?:a |all |very |so |way |kind of |" \
               r"kinda |bit |little |really |quite |rather |pretty |slightly |too )+)?"
TOOL_PHRASES: tuple[tuple[str, str, int], ...] = (
    (r"\b(?:auto )?(?:white balance|whitebalance|wb)\b(?! temperature| (?:to |by |at )?[+-]?\d)(?: is| looks| seems)?(?: (?:off|wrong|weird|"
     r"bad|strange))?", "white_balance", 0),
    (_CAST_BEFORE + r"(?:blue|bluish|blueish)\b|\b(?:a )?blue (?:cast|tint|color cast)\b", "white_balance", +1),
    (_CAST_BEFORE + r"(?:orange|orangey|orangy|orangish)\b|\b(?:an )?orange (?:cast|tint|color cast)\b",
     "white_balance", -1),
    (r"\b(?:(?:make|give|render) (?:the |her |his |my |their )?skin (?:look )?(?:smoother|softer)|smooth(?:en)? "
     r"(?:out )?(?:the |her |his |my |their )?skin|skin smoothing|smoother skin|softer skin|soften "
     r"(?:the |her |his |my |their )?skin)\b", "skin", +1),
    (r"\b(?:richer|lusher|more saturated|more vivid|more vibrant|deeper|stronger|boost(?: the)?|enhance(?: the)?|"
     r"saturate(?: the)?|greener|more intense) (?:the )?(?:greens|grass|foliage|leaves|trees|plants|forest|lawn|"
     r"vegetation)\b|\b(?:greens|grass|foliage|leaves|trees|plants|forest|lawn|vegetation)\b.*?\b(?:richer|lusher|"
     r"more saturated|more vivid|more vibrant|deeper|stronger|greener|more intense|pop)\b", "greens", +1),
    (r"\b(?:bluer|deeper blue|richer blue|more blue|deeper|richer|more vivid|more saturated|boost(?: the)?|"
     r"enhance(?: the)?) (?:the )?(?:sky|skies|blues)\b|\b(?:sky|skies|blues)\b.*?\b(?:bluer|more blue|deeper blue|"
     r"deeper|richer|more saturated|more vivid|more intense|pop)\b", "sky", +1),
    (r"(?<!more )(?<!less )(?<!too )(?<!not )(?<!so )(?<!looks )(?<!is )(?<!are )(?<!seems )\b(?:matte?|faded)(?! colors?\b)(?: (?:look|finish|effect|"
     r"style|curve))?\b|\bflat matte\b", "matte", +1),
    (r"\b(?:more|some|add|added|extra|needs?|lacks?|with|give it(?: some| more)?) punch\b|\bpunch (?:it )?up\b",
     "punch", +1),
    (r"\bless punch\b", "punch", -1),
    (r"\b(?:more|add|added|extra|enhance(?: the)?|boost(?: the)?|bring out(?: the)?) (?:fine )?(?:detail|details|"
     r"definition)\b|\bmore detailed\b|\b(?:lacks|no|not enough) (?:fine )?(?:detail|details|definition)\b",
     "detail", +1),
)

# --- measured fixes: "fix it", "fix the colors", "white balance" -----------------------------------------
FIX_VERBS = ("fix", "correct", "repair", "adjust", "balance", "sort out", "optimize", "optimise", "normalize",
             "improve", "enhance", "auto", "auto adjust", "autoadjust", "auto correct", "autocorrect", "auto fix",
             "autofix", "auto enhance", "auto-enhance", "autoenhance", "clean up", "touch up", "tweak",
             "neutralize", "neutralise", "calibrate", "deal with", "something about", "sort")
FIX_TARGETS = {
    "light": "exposure", "tone": "exposure", "color": "color", "warmth": "color", "tint": "color",
    "saturation": "color", "vibrance": "color",
    "contrast": "contrast", "noise": "noise", "sharpness": "sharpness", "highlights": "highlights",
    "shadows": "shadows", "face": "auto", "clarity": "contrast",
}
FIX_PHRASES: dict[str, str] = {
    # kind: "auto", "exposure", "color", "contrast"
    "auto": "auto", "autofix": "auto", "auto fix": "auto", "auto enhance": "auto", "auto-enhance": "auto",
    "autoenhance": "auto", "auto adjust": "auto", "auto correct": "auto", "autocorrect": "auto",
    "auto tone": "auto", "enhance it": "auto", "enhance": "auto", "improve it": "auto", "improve": "auto",
    "improve this": "auto", "make it better": "auto", "make it look better": "auto", "look better": "auto",
    "make it look good": "auto", "make it look nice": "auto", "make it nicer": "auto", "make it prettier": "auto",
    "make it look nicer": "auto", "look nicer": "auto", "look good": "auto", "look great": "auto",
    "look professional": "auto", "more professional": "auto", "nicer": "auto", "prettier": "auto",
    "fix it": "auto", "fix this": "auto", "fix the photo": "auto", "fix the picture": "auto",
    "fix the image": "auto", "fix the pic": "auto", "fix my photo": "auto", "fix my picture": "auto",
    "fix": "auto", "optimize": "auto", "optimise": "auto", "correct it": "auto", "touch it up": "auto",
    "touch up": "auto", "polish": "auto", "polish it": "auto", "clean it up": "auto", "do your thing": "auto",
    "do your magic": "auto", "magic": "auto", "make it pretty": "auto", "make it good": "auto",
    "make it great": "auto", "balance it": "auto", "looks bad": "auto", "looks off": "auto", "looks wrong": "auto",
    "looks weird": "auto", "looks terrible": "auto", "looks awful": "auto", "looks ugly": "auto",
    "something is off": "auto", "something looks off": "auto", "natural": "auto", "more natural": "auto",
    "realistic": "auto", "more realistic": "auto", "true to life": "auto", "lifelike": "auto",
    "make it natural": "auto", "what would you do": "auto", "edit it": "auto", "edit this": "auto",
    "edit the photo": "auto", "your best": "auto", "best version": "auto", "make it pop out": "auto",
    "make it shine": "auto", "beautify": "auto", "make it beautiful": "auto",
    "improvements": "auto", "improve the photo": "auto", "professional": "auto", "pro": "auto",
    "magazine": "auto", "polished": "auto", "needs something": "auto", "something missing": "auto",
    "missing something": "auto", "needs work": "auto", "make it work": "auto", "do something": "auto",
    "enhance the photo": "auto", "auto levels": "auto",
    "fix the exposure": "exposure", "correct the exposure": "exposure", "auto exposure": "exposure",
    "proper exposure": "exposure", "properly exposed": "exposure", "exposure is off": "exposure",
    "exposure is wrong": "exposure", "exposure is bad": "exposure", "exposure correction": "exposure",
    "fix the brightness": "exposure", "fix the lighting": "exposure", "lighting is off": "exposure",
    "lighting is bad": "exposure", "exposure looks off": "exposure", "expose it properly": "exposure",
    "auto brightness": "exposure", "correct exposure": "exposure", "right exposure": "exposure",
    "color cast": "color", "colour cast": "color",
    "cast": "color", "fix the colors": "color", "correct the colors": "color", "colors are off": "color",
    "colors are wrong": "color", "colors look off": "color", "colors look wrong": "color",
    "colors are weird": "color", "colors look weird": "color", "colors are strange": "color",
    "colors look strange": "color", "colors are unnatural": "color", "colors look unnatural": "color",
    "colors are funny": "color", "colors look funny": "color", "colors are bad": "color", "neutral": "color",
    "neutralize": "color", "neutralise": "color", "natural colors": "color", "true colors": "color",
    "realistic colors": "color", "real colors": "color", "accurate colors": "color", "color correct": "color",
    "color correction": "color", "auto color": "color", "fix the white": "color", "whites look yellow": "color",
    "whites look blue": "color", "whites are not white": "color", "white is not white": "color",
    "fix the tint": "color", "fix the cast": "color", "remove the cast": "color", "remove the color cast": "color",
    "get rid of the cast": "color", "fix the skin tones": "color", "skin tones": "color", "color balance": "color",
    "balance the colors": "color", "fix the color": "color", "correct the color": "color", "colors off": "color",
    "weird colors": "color", "strange colors": "color", "wrong colors": "color", "fix colors": "color",
    "noisy": "noise", "denoise": "noise", "de noise": "noise", "noise reduction": "noise", "saltpepper": "noise",
    "speckled": "noise", "speckly": "noise", "too noisy": "noise", "noisey": "noise",
    "fix the contrast": "contrast", "auto contrast": "contrast", "correct the contrast": "contrast",
    "contrast is off": "contrast", "contrast is wrong": "contrast", "fix contrast": "contrast",
}

# --- conversation: commands on the assistant's own work ---------------------------------------------------
UNDO_PHRASES = ("undo", "undo that", "undo it", "undo this", "undo the last change", "undo the last edit",
                "undo your last change", "undo your last edit", "undo last", "undo the last step", "go back",
                "revert", "revert that", "revert it", "revert the last change", "take it back", "take that back",
                "never mind", "nevermind", "i do not like it", "i do not like that", "i do not like this",
                "that is worse", "it is worse", "worse", "not better", "back", "previous version",
                "put it back", "change it back", "change that back", "go back to before", "as it was",
                "the way it was", "cancel that", "scratch that", "forget it", "forget that", "nope",
                "no no", "ugh", "yuck", "hate it", "i hate it", "that is bad", "that is awful", "that is terrible",
                "back to how it was", "back to what it was", "step back", "one step back", "go back one step",
                "go back a step", "back one step", "undo the last thing", "take that back please", "redo",
                "i preferred it before", "it was better before", "better before", "before was better")
RESET_ALL_PHRASES = ("reset", "reset everything", "reset all", "reset it", "reset the photo", "reset the image",
                     "start over", "start again", "start from scratch", "from scratch", "back to the original",
                     "go back to the original", "original", "the original", "show the original", "to the original",
                     "remove all edits", "remove all the edits", "remove all adjustments", "remove everything",
                     "clear everything", "clear all", "undo everything", "undo all", "undo all edits",
                     "undo all changes", "revert everything", "revert all", "revert to the original",
                     "revert to original", "delete everything", "delete all edits", "wipe", "wipe it",
                     "wipe everything", "clean slate", "restart", "remove all changes", "remove all effects",
                     "remove all filters", "no edits", "unedited", "as shot", "back to square one",
                     "discard all", "discard everything", "discard all edits", "get rid of everything",
                     "get rid of all edits", "remove every edit", "all edits off", "everything off")
RESET_ASSISTANT_PHRASES = ("remove your edits", "remove your changes", "remove your adjustments",
                           "undo your edits", "undo your changes", "undo your adjustments", "undo all your changes",
                           "undo all your edits", "revert your changes", "revert your edits", "remove what you did",
                           "undo what you did", "undo everything you did", "remove everything you did",
                           "take back your changes", "delete your edits", "delete your changes",
                           "remove all your edits", "remove all your changes", "get rid of your edits",
                           "get rid of your changes", "clear your edits", "clear your changes",
                           "remove the assistant edits", "remove the assistant changes", "remove ai edits",
                           "remove the ai edits", "your edits off", "drop your changes", "drop your edits",
                           "reset your edits", "reset your changes", "discard your edits", "discard your changes")
EXPLAIN_PHRASES = ("what did you change", "what did you do", "what have you done", "what have you changed",
                   "what changed", "what was changed", "what did you edit", "what did you adjust",
                   "what edits", "which edits", "what adjustments", "which adjustments", "list the changes",
                   "list your changes", "list your edits", "show your changes", "show me your changes",
                   "show your edits", "show me your edits", "show me what you did", "explain", "explain that",
                   "explain your changes", "explain what you did", "why", "why did you do that", "why that",
                   "what did you just do", "what did you apply", "what settings", "which settings",
                   "what values", "what are the settings", "how did you do that", "what is applied",
                   "what are the edits", "what edits are there", "tell me what you did", "what did that do",
                   "what were the changes", "summary of changes", "what did you use", "which tools", "why did you")
HELP_PHRASES = ("help", "what can you do", "what do you do", "how does this work", "how do i use this",
                "what can i say", "what can i ask", "options", "commands", "what are my options",
                "how do you work", "instructions", "examples", "give me examples", "what looks", "which looks",
                "what styles", "which styles", "what filters", "which filters", "list looks", "list the looks",
                "show looks", "what presets", "which presets", "how to use", "how can you help",
                "what are you able to do", "what is possible", "capabilities", "menu", "start", "?")
THANKS_PHRASES = ("thanks", "thank you", "thx", "ty", "cheers", "great", "perfect", "nice", "cool", "awesome",
                  "good", "ok", "okay", "k", "wow", "love it", "i love it", "looks great", "looks good",
                  "that is great", "that is good", "that is perfect", "that is better", "much better", "better now",
                  "better",
                  "excellent", "amazing", "brilliant", "lovely", "beautiful", "good job", "well done", "great job",
                  "nice job", "nice work", "great work", "that works", "fine", "alright", "all right", "yes",
                  "yep", "yeah", "sure", "exactly", "just right", "spot on", "that is it", "done", "sweet",
                  "super", "fantastic", "gorgeous", "neat", "dope", "lit", "fab", "thanks a lot",
                  "thank you so much", "looks nice", "it is perfect", "it is great", "it is good", "good now",
                  "it looks great", "it looks good", "this is good", "this is great", "this is perfect",
                  "keep it", "keep that", "i like it", "i like that", "i like this", "like it", "nice one",
                  "hi", "hello", "hey", "hey there", "hi there", "good morning", "good evening", "good afternoon",
                  "yo", "hiya", "howdy", "greetings")
GREETINGS = ("hi", "hello", "hey", "hey there", "hi there", "good morning", "good evening", "good afternoon",
             "yo", "hiya", "howdy", "greetings")
# What the edits are (every adjustment with its value); STYLE_PHRASES ask what they say about a taste.
SUMMARY_PHRASES = ("summarize my edits", "summarise my edits", "summarize the edits", "summarise the edits",
                   "summarize", "summarise", "summary", "what did i change", "what have i changed", "what did i do",
                   "what have i done", "what did i edit", "list my edits", "list my changes", "list the edits",
                   "list all edits", "list all changes", "show my edits", "show my changes", "my edits",
                   "what edits did i make", "what edits have i made", "what is done", "what has been done",
                   "what has changed", "what has been changed")
STYLE_PHRASES = ("what is my style", "what is my editing style", "describe my style", "summarize my style",
                 "summarise my style", "my preference", "my preferences", "what do i like", "what do i prefer",
                 "my taste", "how do i edit", "what is my taste")
ASSESS_PHRASES = ("what do you think", "how does it look", "how is it", "how is the photo", "is it ok",
                  "is it okay", "is it good", "any suggestions", "any ideas", "suggestions", "suggest something",
                  "what would you suggest", "what should i do", "what should i change", "how can i improve it",
                  "how can i improve this", "what is wrong with it", "what is wrong with this", "rate it",
                  "rate this", "is it too dark", "is it too bright", "is it dark", "is it bright", "analyze",
                  "analyse", "analyze it", "analyse it", "analyze the photo", "analyse the photo",
                  "what do you see", "describe the photo", "describe it", "tell me about the photo",
                  "how is the exposure", "is the exposure ok", "is the exposure right", "is the white balance ok",
                  "are the colors ok", "feedback", "give me feedback", "critique", "critique it", "opinion",
                  "your opinion", "what do you suggest", "what do you recommend", "recommend something",
                  "any recommendations", "what would you change", "what would you improve", "suggest")

# --- what it cannot do ---------------------------------------------------------------------------------
# (regular expression, reply). Checked per clause; the first that matches explains the refusal.
CANNOT: tuple[tuple[str, str], ...] = (
    (r"\b(crop|cropping|cropped|reframe|re frame|trim the edges|zoom in|zoom out|zoom|aspect ratio|"
     r"square format|make it square|closer to the face)\b",
     "I can't crop to a part I choose or zoom from the chat, but I can crop to a shape (“make it square”, "
     "“4:5”, “3:2”, “16:9”, “original ratio”), centred on the subject; for any other crop, use the Crop button "
     "in the toolbar (R)."),
    (r"\b(rotate|rotation|turn it (?:left|right|around|sideways|upside down|90|180)|upside down|sideways|flip|"
     r"mirror|straighten|horizon is tilted|tilted|crooked|wonky|skewed|level the horizon)\b",
     "I can't turn it that way from the chat, but I can turn the photo a quarter left or right (“turn it a "
     "quarter to the left”), mirror it, level the horizon or rotate it by a few degrees (“rotate 2 degrees”); "
     "anything else, with the Crop button in the toolbar (R) or “+ Add adjustment ▸ Rotate 90°” in the Layers "
     "panel."),
    (r"\b(resize|upscale|upscaling|enlarge|higher resolution|more resolution|increase the resolution|"
     r"megapixels?|file size|compress|export|save it as|save as|convert to|jpe?g|png|print size|dpi)\b",
     "I can't resize or export; use File ▸ Export for size and format."),
    (r"\b(skin smoothing|smooth (?:the |her |his |my )?skin|smoother skin|wrinkles?|blemish(?:es)?|pimples?|acne|"
     r"spots on|whiten (?:the |her |his |my )?teeth|teeth|red ?eyes?|eye bags|bags under|makeup|make up|slimmer|"
     r"thinner|skinnier|taller|younger|lose weight|weight loss|retouch|retouching|airbrush|liquify|"
     r"open (?:her |his |my )?eyes|closed eyes|double chin|fix (?:her |his |my )?face|fix the face|smile)\b",
     "I can't retouch faces or bodies; I can only adjust the tone and colour of the whole photo."),
    (r"\b(remove|erase|delete|get rid of|take out|cut out|clone out|clone|eliminate|hide)\b.*\b(person|people|man|"
     r"woman|men|women|guy|girl|boy|kid|kids|child|children|baby|tourists?|photobomber|stranger|"
     r"crowd|car|cars|bike|tree|trees|branch|wires?|power ?lines?|cables?|poles?|signs?|text|logo|watermark|"
     r"date stamp|timestamp|object|objects|thing|things|stuff|trash|rubbish|litter|dust|spots?|building|house|"
     r"bird|birds|dog|cat|animal|boat|plane|lamp post|fence|reflection on|lens flare|flare|shadow on|finger|"
     r"thumb|strap|bag|chair|table|the background|background)\b",
     "I can't remove objects or people; I can only adjust the tone and colour of the whole photo."),
    (r"\b(add|put|insert|place|paste|draw|paint)\b.*\b(sunset|sunrise|sun|moon|rainbow|stars|clouds?|sky|snow|"
     r"rain|fog|mist|birds?|person|people|man|woman|text|caption|title|words?|logo|watermark|signature|frame|"
     r"border|sticker|emoji|hat|glasses|lens flare|flare|light leak|bokeh|fireworks|lightning|reflection|"
     r"object|objects|dog|cat|animal|tree|trees|flowers?|mountains?|boat|car|heart|hearts|sparkles?|"
     r"butterfl(?:y|ies)|balloons?|smoke)\b",
     "I can't add things to the photo (a sunset, text, objects); I can only adjust its tone and colour."),
    (r"\b(replace|swap|change) (?:the |a )?(sky|background|face|faces|hair color|eye color|clothes|shirt|dress|"
     r"season|weather|time of day|day into night|night into day|scenery|setting|location)\b",
     "I can't replace parts of the photo; I can only adjust the tone and colour of the whole photo."),
    (r"\b(blur|defocus)\b.*\b(background|backdrop)\b",
     "I can't blur the background (no depth effects); I can change its tone and colour, e.g. “darken the "
     "background”."),
    (r"\b(select|mask|isolate|selection|masking)\b",
     "I can't make a selection on its own; tell me what to change where (“darken the sky”, “brighten the "
     "faces”), or paint a mask on an adjustment in the inspector."),
    (r"\b(bokeh|portrait mode|depth of field|tilt shift|motion blur|long exposure|panorama|stitch|"
     r"hdr merge|merge|focus stack|double exposure|collage|animation|animate|gif|video|3d|sticker)\b",
     "I can't do that; I can only adjust the tone and colour of the whole photo."),
    (r"\b(cartoon|anime|pixar|disney|ghibli|sketch|pencil drawing|drawing|painting|oil paint|watercolor|"
     r"van gogh|picasso|style transfer|ai art|turn me into|turn it into a|make me look like|deepfake|"
     r"generate|imagine|dall e|midjourney|stable diffusion|illustration)\b",
     "I can't turn the photo into art or generate images; I can only adjust its tone and colour."),
    (r"\b(weather|forecast|poem|poetry|haiku|limerick|tell me a story|write a story|a joke|jokes?|song|lyrics|"
     r"recipe|the news|bitcoin|capital of|president|prime minister|translate|translation|write code|python|"
     r"javascript|an email|essay|homework|solve|calculate|equation|what time is it|what day is it|"
     r"today is date|who won|meaning of life|how old are you|are you human|are you real|play a game|riddle|"
     r"wikipedia|google|stock price|book a|flight|hotel|restaurant|write me|write a)\b",
     "I'm the photo assistant, so I can't help with that. I can only adjust this photo's tone and colour."),
)

# --- where: the places an adjustment can act on (agent/areas.py) ----------------------------------------
# (regular expression, place), tried in order; a preposition before ("on the sky") is read with it.
WHERE_PHRASES: tuple[tuple[str, str], ...] = (
    (r"(?:the\s+)?sk(?:y|ies)", "sky"),
    (r"(?:(?:the|her|his|their|my|our|your|its)\s+)?faces?", "faces"),
    (r"(?:the\s+)?(?:persons?|people|man|woman|men|women|girl|boy|kids?|child|children|family|couple)", "people"),
    (r"(?:the\s+)?(?:main\s+)?subject", "subject"),
    (r"(?:the\s+)?(?:background|backdrop)", "background"),
    (r"(?:the\s+)?foreground", "foreground"),
    (r"(?:the\s+)?(?:top|upper)\s+(?:half|part|third|side|area)|(?<!over )the\s+top", "top"),
    (r"(?:the\s+)?(?:bottom|lower)\s+(?:half|part|third|side|area)|the\s+bottom", "bottom"),
    (r"(?:the\s+)?left\s+(?:half|part|third|side|area)|the\s+left", "left"),
    (r"(?:the\s+)?right\s+(?:half|part|third|side|area)|the\s+right", "right"),
    (r"(?:the\s+)?(?:edges|borders|sides)(?:\s+of\s+the\s+(?:photo|picture|image|frame))?", "edges"),
    (r"(?:the\s+)?(?:dark|darker|darkest|shadowy|shaded)\s+(?:areas?|parts?|bits|spots|places)", "dark_areas"),
    (r"(?:the\s+)?(?:bright|brighter|brightest|light|lighter)\s+(?:areas?|parts?|bits|spots|places)",
     "bright_areas"),
    (r"(?:the\s+)?greens", "greens"),
    (r"(?:the\s+)?blues", "blues"),
    (r"(?:the\s+)?reds", "reds"),
)
# Places whose own tool already does a wish there: "lighten the dark parts" is the shadows slider,
# "darken the edges" the vignette (place -> the wishes' axes that stay whole-photo tools).
WHERE_TOOLS: dict[str, set[str]] = {
    "dark_areas": {"light", "shadows", "blacks"},
    "bright_areas": {"light", "highlights", "whites"},
    "edges": {"light", "vignette"},
}

# --- examples for the help reply ---------------------------------------------------------------------
EXAMPLES = ('"a bit brighter"', '"it\'s too yellow"', '"more contrast but less saturation"',
            '"make it vintage"', '"fix the colours"', '"lift the shadows"', '"a bit less"', '"undo that"')
