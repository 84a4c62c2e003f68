"""How the briefs of bench/gold/briefs.jsonl were chosen (reproducible: fixed seed).

    .venv/bin/python bench/gold/select_briefs.py [--batch 2|3|4|5|6|7|8|9]   # prints the selected ids, in labelling order
"""

import collections
import json
import random
import re
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
rng = random.Random(20261127)
items = [json.loads(line) for line in (CORPUS / "briefs" / "dev.jsonl").read_text(encoding="utf-8").splitlines()]
flag = [i for i in items if i['policy_keyword_hit']]
GROUPS = {
 'CN': r'\bChin(a|ese)\b|Beijing', 'IN': r'\bIndia(n)?\b|New Delhi', 'JP': r'\bJapan(ese)?\b|Tokyo',
 'RU': r'\bRussia(n)?\b|Kremlin|Moscow', 'EU': r'European Union|European Commission|\bEU\b',
 'AU': r'\bAustralia(n)?\b|Canberra', 'BR': r'\bBrazil(ian)?\b', 'KR': r'South Korea(n)?|Seoul',
 'CA': r'\bCanad(a|ian)\b|Ottawa', 'DEFR': r'\bGerman(y)?\b|\bFrance\b|\bFrench\b|Berlin|Paris',
 'AFR': r'Nigeria|Kenya|South Africa|Egypt|Ethiopia|Ghana|Uganda|Tanzania|Senegal|Morocco|Algeria|Tunisia|Zimbabwe|Zambia|Cameroon|Mali\b|Burkina|Niger\b|Congo|Rwanda|Sudan|Madagascar|Malawi|Mozambique|Angola|Namibia|Botswana|Ivory Coast|Somalia|Libya|Gabon|Togo|Benin|Guinea',
 'LATAM': r'Mexic|Argentin|Chile|Colombia|Peru\b|Peruvian|Venezuela|Ecuador|Bolivia|Paraguay|Uruguay|Guatemala|Honduras|El Salvador|Costa Rica|Panama|Cuba|Dominican|Nicaragua',
}
US = re.compile(r'United States|\bU\.S\.|\bUS\b|Trump|American|Washington|Congress|Senate|Supreme Court of the United')
chosen = []
batches: list[list[dict]] = []  # batch N is batches[N - 1]


def end_batch():
    """What was chosen since the previous batch ended is the next batch."""
    batches.append(chosen[sum(len(b) for b in batches):])


def take(pool, n):
    pool = [i for i in pool if i['id'] not in {c['id'] for c in chosen}]
    for i in rng.sample(pool, min(n, len(pool))):
        chosen.append(i)


for _group, pat in GROUPS.items():  # 8 flagged items per jurisdiction group
    take([i for i in flag if re.search(pat, i['text'])], 8)
TARGET = {'Law and crime': 40, 'Politics and elections': 30, 'International relations': 30,
          'Business and economy': 25, 'Health and environment': 15, 'Science and technology': 10}
for sec, n in TARGET.items():  # top up per section, non-US first
    have = sum(1 for c in chosen if c['section'] == sec)
    if have < n:
        pool = [i for i in flag if i['section'] == sec and not US.search(i['text'])]
        take(pool, n - have)
n_flag = len(chosen)
for sec in ('Business and economy', 'Science and technology'):  # company moves regardless of flag
    take([i for i in items if i['section'] == sec and not i['policy_keyword_hit']], 20)
for sec, n in (('Armed conflicts and attacks', 15), ('Disasters and accidents', 15), ('Sports', 10), ('Arts and culture', 10)):
    take([i for i in items if i['section'] == sec], n)
# extra stratum: company moves (market exit/entry, sales/service limits, mergers, app bans, fines on firms)
MOVES = re.compile(r"\b(withdraw\w*|pulls? out|exits?\b|ceases? operations|shuts? down|stops? (selling|offering|accepting)|"
                   r"suspends? (sales|service|operations)|launch(es)? (in|its)|enters? the \w+ market|acqui(re|res|sition)|"
                   r"merger|takeover|buyout|antitrust|competition (authority|regulator|commission)|\bapps?\b|"
                   r"data protection|privacy|recall\w*|fines? \w+ (company|firm|bank|group))", re.I)
take([i for i in items if i['section'] in ('Business and economy', 'Science and technology', 'Law and crime',
                                             'International relations') and MOVES.search(i['text'])], 40)
end_batch()
# batch 2 (labelled later, same seed, batch 1 unchanged): the natural mix of flagged items, more company moves,
# business news regardless of flag, and a plain random sample of everything (realistic negatives)
take(flag, 200)
take([i for i in items if i['section'] in ('Business and economy', 'Science and technology', 'Law and crime',
                                             'International relations') and MOVES.search(i['text'])], 100)
take([i for i in items if i['section'] == 'Business and economy'], 100)
take(items, 200)
end_batch()
# batch 3 (labelled later still, batches 1 and 2 unchanged): more flagged items, items whose wording speaks of
# when something applies (so that effective dates are measured on more than a handful of events), and another
# plain random sample of everything
WHEN = re.compile(r"\b(from|starting|effective|as of|takes? effect|took effect|come into (force|effect)|comes into "
                  r"(force|effect)|came into (force|effect)|enters? into force|entered into force|will apply|"
                  r"beginning)\b", re.I)
take(flag, 150)
take([i for i in items if WHEN.search(i['text'])], 100)
take(items, 150)
end_batch()
# batch 4: the natural mix again, 100 flagged and 200 drawn at random from everything
take(flag, 100)
take(items, 200)
end_batch()
# batch 5: 200 flagged, 100 company moves, 100 at random
take(flag, 200)
take([i for i in items if i['section'] in ('Business and economy', 'Science and technology', 'Law and crime',
                                             'International relations') and MOVES.search(i['text'])], 100)
take(items, 100)
end_batch()
# batch 6: the natural mix again, 200 flagged and 100 at random
take(flag, 200)
take(items, 100)
end_batch()
# batch 7: the rest of the flagged items (248 were left) and 200 at random
take(flag, 400)
take(items, 200)
end_batch()
# batch 8 (the flagged items are used up): the sections where policy news is reported, regardless of flag, the
# company moves that were left, and 170 at random from everything
take([i for i in items if i['section'] in ('Business and economy', 'Science and technology', 'Law and crime',
                                             'International relations') and MOVES.search(i['text'])], 80)
for sec, n in (('Law and crime', 280), ('Politics and elections', 230), ('International relations', 230),
               ('Business and economy', 90), ('Health and environment', 80), ('Science and technology', 40)):
    take([i for i in items if i['section'] == sec], n)
take(items, 170)
end_batch()
# batch 9: every brief left in those six sections (the positives a newswire still holds are there) and 200 at
# random from what remains (armed conflicts, disasters, sport, culture: realistic negatives)
POLICY_SECTIONS = ('Law and crime', 'Politics and elections', 'International relations', 'Business and economy',
                   'Health and environment', 'Science and technology')
take([i for i in items if i['section'] in POLICY_SECTIONS], len(items))
take(items, 200)
end_batch()

if __name__ == "__main__":
    import sys
    number = int(sys.argv[2]) if sys.argv[1:2] == ["--batch"] else 1
    chosen = batches[number - 1]
    print(json.dumps([c["id"] for c in chosen]))
    print(len(chosen), n_flag, collections.Counter(c["section"] for c in chosen))
