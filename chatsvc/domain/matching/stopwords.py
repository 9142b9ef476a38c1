"""Generic French and English stop words, in the folded form the normalizer produces (lower case, no accents).

These are the usual function-word lists (articles, pronouns, auxiliaries, prepositions, conjunctions, question
words) plus the politeness and chat filler any support chat carries ("bonjour", "please", "svp") and the
apostrophe-less spellings visitors type ("jai", "cest", "dont"). They carry no topic, so a query made only of them
is empty and the bot says it has no answer instead of matching on "my" or "comment". Term rarity (IDF) already
weighs down common words; removing these keeps them out of the confidence's denominator too.
"""

from __future__ import annotations


def lexicon(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated words (easier to read and review than a list literal)."""
    return frozenset(text.split())


ENGLISH = lexicon(
    """
    a about above after again against all also am an and any anybody anyone anything are aren as at be because
    been before being below between both but by can cannot could couldn did didn do does doesn doing don done
    down during each either else even ever every few for from further get gets getting got had hadn has hasn have
    haven having he her here hers herself him himself his how however i if in into is isn it its itself just let
    like ll me might mine more most much must mustn my myself need needs no nor not now of off often on once only
    or other our ours ourselves out over own please re really same shall shan she should shouldn so some
    somehow something such than that the their theirs them themselves then there these they this those though
    through to too under until up upon us ve very via was wasn we were weren what whats when where whether which
    while who whom whose why will with won would wouldn yet you your yours yourself yourselves
    hi hello hey thanks thank thx pls plz ok okay yes yeah dear
    im ive id ill youre theyre cant dont doesnt didnt isnt arent wasnt werent wont wouldnt couldnt shouldnt
    hasnt havent hadnt ca wo
    want wants wanted wanna would like trying try way possible able know anyone anybody
    """
)

FRENCH = lexicon(
    """
    a ai aie aient aies ait alors as au aucun aucune aupres aura aurai auraient aurais aurait auras aurez auriez
    aurons auront aussi autre autres aux avaient avais avait avant avec avez aviez avions avoir avons ayant ayez
    ayons bah ben bien c ca car ce ceci cela celle celles celui cependant certain certaine ces cet cette ceux chaque
    chez ci comme comment contre d dans de des deja depuis dessus dessous deux donc dont du elle elles en encore es
    est et etaient etais etait etant ete etes etions etre eu eue eues eurent eus eusse eut eux fais fait faire
    faut fois furent fut ici il ils j je jusqu l la le les leur leurs lui m ma mais me meme memes mes moi mon
    n ne ni non nos notre nous on ont ou oui par parce pas pendant peu peut peuvent peux plus pour pourquoi
    pourrais pourrait pouvez puis puisque qu quand que quel quelle quelles quels qui quoi s sa sans se sera serai
    seraient serais serait seras serez seriez serons seront ses si soi soient sois soit sommes son sont sous suis
    sur t ta te tes toi ton tous tout toute toutes tres tu un une unes uns vais va vas voici voila vont vos votre
    vous vu y
    bonjour bonsoir salut coucou merci svp stp sil vous plait plait madame monsieur cordialement
    voudrais voudrait voudrions voudriez veux veut voulais aimerais aimerait souhaite souhaiterais besoin
    possible savoir aujourd hui apres
    jai jaimerais jvoudrais jsuis chui cest jpeux jveux ya yen quil quelle quon nai nest qd pcq pk pq
    """
)

STOP_WORDS: frozenset[str] = ENGLISH | FRENCH
