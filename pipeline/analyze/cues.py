"""Cue patterns for the event taxonomy of the analysis spec.

Each cue is a regular expression over the lower-cased sentence, a strength (1.0 strong, 0.6 medium,
0.3 weak) and the conditions under which it counts: ``money`` (a sum in the sentence), ``place`` (a
jurisdiction in the sentence), ``place_after`` (one after the cue), ``merger`` (a merger word).
Add a type by adding its cues here and its actor kind to ``EVENT_TYPES``.
"""

from __future__ import annotations

import re
import re._parser as _sre_parse  # the standard library's own parser of patterns (as re.compile uses)
from dataclasses import dataclass, field

EVENT_TYPES: dict[str, str] = {
    "market_exit": "company",
    "market_entry": "company",
    "sales_restriction": "company",
    "service_restriction": "company",
    "compliance_change": "company",
    "law_or_regulation": "authority",
    "ban": "authority",
    "fine_or_penalty": "authority",
    "investigation": "authority",
    "sanction_or_export_control": "authority",
    "merger_decision": "authority",
    "license_or_approval": "authority",
    "trade_or_tax": "authority",
}

STRONG, MEDIUM, WEAK = 1.0, 0.6, 0.3


@dataclass(frozen=True)
class Cue:
    type: str
    pattern: re.Pattern
    strength: float
    requires: frozenset[str] = frozenset()
    # words one of which every match contains (case-folded), or None: a sentence without any of them is not
    # searched (most sentences match none of the cues, and a substring test costs far less than a search)
    keys: frozenset[str] | None = field(default=None, compare=False)

    def search(self, text: str, folded: str) -> re.Match | None:
        """``pattern.search(text)``; ``folded`` is ``text.casefold()``, computed once per sentence."""
        if self.keys is not None and not any(key in folded for key in self.keys):
            return None
        return self.pattern.search(text)


def required_keys(pattern: re.Pattern) -> frozenset[str] | None:
    """Strings, case-folded, one of which occurs in every match of ``pattern``; None when the pattern can
    match without any fixed text. Read off the parsed pattern: a run of literal characters is such a string; a
    group or a repetition at least once needs what its content needs; an alternation needs one of what its
    branches need; of a sequence's items the one with the longest shortest string is kept."""
    try:
        keys = _sequence_keys(_sre_parse.parse(pattern.pattern, pattern.flags))
    except (TypeError, ValueError, IndexError):  # a parser of another Python version: search every sentence
        return None
    return keys if keys and all(keys) else None


def _sequence_keys(items) -> frozenset[str] | None:
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre_parse.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run).casefold()}))
            run = []
        keys = _item_keys(op, av)
        if keys:
            candidates.append(keys)
    if run:
        candidates.append(frozenset({"".join(run).casefold()}))
    return max(candidates, key=lambda keys: (min(map(len, keys)), -len(keys)), default=None)


def _item_keys(op, av) -> frozenset[str] | None:
    if op is _sre_parse.SUBPATTERN:
        return _sequence_keys(av[-1])
    if op in (_sre_parse.MAX_REPEAT, _sre_parse.MIN_REPEAT):
        return _sequence_keys(av[2]) if av[0] >= 1 else None
    if op is _sre_parse.BRANCH:
        keys: set[str] = set()
        for branch in av[1]:
            found = _sequence_keys(branch)
            if not found:
                return None
            keys |= found
        return frozenset(keys)
    if op is _sre_parse.IN and all(kind is _sre_parse.LITERAL for kind, _ in av) and len(av) <= 4:
        return frozenset(chr(code).casefold() for _, code in av)
    return None


# A gap inside one sentence: any character but a stop, yet the points of "$14.9 billion", "U.S.", "Brian E. Murphy"
# or "Jr." do not end it (written ``[^.;]`` in the patterns below and widened here).
_GAP = r"(?:[^.;]|\.(?=\d)|(?<=\b(?-i:[A-Z]))\.|(?<=\b(?:jr|sr|dr|mr|ms|st|vs|no))\.)"


def _cue(type_: str, pattern: str, strength: float, *requires: str) -> Cue:
    compiled = re.compile(pattern.replace("[^.;]", _GAP), re.IGNORECASE)
    return Cue(type_, compiled, strength, frozenset(requires), required_keys(compiled))


_LICENCE_NOUN = r"(licen[cs]es?|permits?|registrations?|authori[sz]ations?|certificat(e|es|ion)|approvals?)"
_LICENCE_VERB = (
    r"(grant(s|ed|ing)?|revok(e|es|ed|ing)|suspend(s|ed|ing)?|refus(e|es|ed|ing)|award(s|ed)?|"
    r"issu(e|es|ed)|renew(s|ed)?|cancel(s|led|ed)?|withdr(aw|ew|awn))"
)
_LAW_NOUN = (
    r"(laws?|regulations?|rules?|directives?|bills?|legislation|ordinances?|decrees?|statutes?|"
    r"guidance|code of (practice|conduct))"
)
_LAW_VERB = (
    r"(pass(es|ed)?|adopt(s|ed)?|enact(s|ed)?|approv(e|es|ed)|signs?|signed|propos(e|es|ed|al)|"
    r"introduc(e|es|ed)|publish(es|ed)?|finali[sz](e|es|ed)|amend(s|ed|ments?)?|implement(s|ed)?|"
    r"issu(e|es|ed)|unveil(s|ed)?|draft(s|ed)?|repeal(s|ed)?|overhaul(s|ed)?|vot(e|es|ed) (for|on|to)|"
    r"rescind(s|ed|ing)?|revis(e|es|ed|ing)|delet(e|es|ed|ing)|modif(y|ies|ied|ying|ication)|"
    r"reform(s|ed|ing)?)"
)
_MERGER_NOUN = (
    r"\b(mergers?|acquisitions?|acquir(e|es|ed|ing)|takeover|buyout|deal|combination|"
    r"joint venture|transaction)\b"
)
_MERGER_VERB = (
    r"\b(approv\w+|clear(s|ed|ance)?|block(s|ed|ing)?|challeng\w+|prohibit\w*|condition(s|al|ed)?|"
    r"review(s|ed|ing)?|"
    r"inquiry|investigat\w+|phase (1|2|one|two)|refer(s|red)?|consent (order|agreement|decree)|remed(y|ies)|"
    r"unwind|sue[sd]?|lawsuit)\b"
)

CUES: tuple[Cue, ...] = (
    # authority actions
    _cue("ban", r"\bban(s|ned|ning)?\b", STRONG),
    _cue("ban", r"\bprohibit(s|ed|ing)?\b", STRONG),
    _cue("ban", r"\bprohibitions?\b", MEDIUM),
    _cue("ban", r"\boutlaw(s|ed|ing)?\b|\bforb(id|ids|ade|idden)\b", STRONG),
    _cue("ban", r"\bbarred\b|\bbars\b \w+ from\b", MEDIUM),
    _cue("ban", r"\bblock(s|ed|ing)? (access|the (app|apps|website|site|service|sale|import|use|entry))", STRONG),
    _cue("ban", r"\bblock(s|ed|ing)?\b", WEAK),
    _cue("fine_or_penalty", r"\bfined\b|\bfines\b", STRONG),
    _cue("fine_or_penalty", r"\bfine\b", MEDIUM, "money"),
    _cue("fine_or_penalty", r"\bpenalt(y|ies)\b", STRONG),
    _cue(
        "fine_or_penalty",
        r"\b(settle(s|d|ment|ments)?|damages|disgorge\w*|restitution|forfeit\w*)\b",
        MEDIUM,
        "money",
    ),
    _cue("fine_or_penalty", r"\b(pay|pays|paid|paying)\b", MEDIUM, "money"),
    _cue("fine_or_penalty", r"\b(refunds?|judgment)\b", WEAK, "money"),
    _cue(
        "fine_or_penalty",
        r"\b(send|sends|sending|sent|distribut\w*|mail\w*)\b[^.;]{0,40}\brefunds?\b",
        MEDIUM,
        "money",
    ),
    _cue("investigation", r"\binvestigat(e|es|ed|ing|ion|ions)\b", STRONG),
    _cue("investigation", r"\bprob(e|es|ed|ing)\b|\b(inquiry|inquiries|enquiry|enquiries)\b", STRONG),
    _cue("investigation", r"\bsue[sd]?\b|\bsuing\b|\blawsuits?\b", STRONG),
    _cue("investigation", r"\bfil(e|es|ed|ing) (a |an )?(\w+ )?(complaint|lawsuit|suit|charges)\b", STRONG),
    _cue("investigation", r"\btak(e|es|ing) action against\b|\btook action against\b", STRONG),
    _cue("investigation", r"\b(indict(s|ed|ment)?|prosecut(e|es|ed|ing|ion)|subpoena(s|ed)?)\b", STRONG),
    _cue("investigation", r"\bcharged\b|\bcharges (that|against)\b|\bcharg(es|ing) (the )?\w+ with\b", MEDIUM),
    _cue(
        "investigation",
        r"\b(audit(s|ed|ing)?|raid(s|ed)?|antitrust (case|action|challenge)|complaint)\b",
        MEDIUM,
    ),
    _cue("investigation", r"\ballege[sd]?\b|\ballegations?\b", WEAK),
    _cue("merger_decision", r"\bdivest(s|ed|ing|iture|itures|ment)?\b", STRONG),
    _cue("merger_decision", _MERGER_VERB, STRONG, "merger"),
    _cue("merger_decision", r"\bmerger (inquiry|review|control|investigation|decision)\b", STRONG),
    _cue("sanction_or_export_control", r"\bsanction(s|ed|ing)?\b", STRONG),
    _cue("sanction_or_export_control", r"\bentity list\b|\bblacklist(s|ed|ing)?\b|\bembargo(es|ed)?\b", STRONG),
    _cue(
        "sanction_or_export_control",
        r"\bexport (controls?|bans?|restrictions?|licen[cs]es?|curbs?)\b",
        STRONG,
    ),
    _cue("sanction_or_export_control", r"\basset freeze\b|\bfreez(e|es|ing) (the )?assets\b", STRONG),
    _cue("license_or_approval", rf"\b{_LICENCE_VERB}\b[^.;]{{0,40}}\b{_LICENCE_NOUN}\b", STRONG),
    _cue(
        "license_or_approval",
        rf"\b{_LICENCE_NOUN}\b (was |were |has been |have been |is |are )?{_LICENCE_VERB}\b",
        STRONG,
    ),
    _cue("license_or_approval", r"\bmarketing authori[sz]ation\b", STRONG),
    _cue(
        "license_or_approval",
        r"\bapprov(e|es|ed|al)\b[^.;]{0,40}\b(drug|vaccine|device|medicine|medication|treatment|therapy|app|product|"
        r"use of)s?\b",
        MEDIUM,
    ),
    _cue("trade_or_tax", r"\btariffs?\b|\banti-dumping\b|\bdigital services? tax(es)?\b", STRONG),
    _cue("trade_or_tax", r"\b(import|export|customs) (dut(y|ies)|tax(es)?)\b", STRONG),
    _cue("trade_or_tax", r"\b(retaliatory|punitive) (dut(y|ies)|tariffs?|levies|measures)\b|\bsurtax(es)?\b|"
         r"\bdut(y|ies) on [^.;]{0,40}\bimports\b", STRONG),
    _cue("trade_or_tax", r"\b(suspend|halt|resum|restor|ban)\w* (all )?(\w+ )?(trade|exports|imports)\b", MEDIUM),
    _cue(
        "trade_or_tax",
        r"\b(impos(e|es|ed|ing)|introduc(e|es|ed|ing)|rais(e|es|ed|ing)|increas(e|es|ed|ing)|cut(s|ting)?|"
        r"lower(s|ed|ing)?|abolish(es|ed|ing)?|scrap(s|ped|ping)?|hik(e|es|ed|ing)|slash(es|ed|ing)?|new) "
        r"(a |the )?(\w+ ){0,3}(tax|taxes|vat|dut(y|ies)|"
        r"levy|levies)\b",
        MEDIUM,
    ),
    _cue("trade_or_tax", r"\btrade (deal|agreement|pact|war|barriers?|restrictions?|measures?)\b", MEDIUM),
    _cue(
        "law_or_regulation",
        r"\b(tak(e|es)|took|taken|go(es)?|went|gone) (into )?effect\b|\bcom(e|es|ing) into (force|effect)\b|"
        r"\bcame into (force|effect)\b|\bent(er|ers|ered) into force\b|\bsigned into law\b",
        STRONG,
    ),
    _cue("law_or_regulation", r"\b(consultation|call for evidence|white paper|green paper)\b", STRONG),
    _cue("law_or_regulation", rf"\bnew {_LAW_NOUN}\b", STRONG),
    _cue("law_or_regulation", rf"\b{_LAW_VERB}\b[^.;]{{0,50}}\b{_LAW_NOUN}\b", MEDIUM),
    _cue("law_or_regulation", rf"\b{_LAW_NOUN}\b[^.;]{{0,40}}\b{_LAW_VERB}\b", MEDIUM),
    # treaties, courts, recalls, policies: weaker readings the trained ranker weighs
    _cue(
        "law_or_regulation",
        r"\bwithdr(aw|aws|ew|awal|awing) (\w+ ){0,4}from (the |dozens of |several )?[^.;]{0,60}"
        r"\b(treaty|treaties|convention|court|accord|agreement|bloc|bodies|organi[sz]ations?|union|pact|alliance|"
        r"council|icc|community|commission|forum|agency)\b",
        STRONG,
    ),
    _cue(
        "law_or_regulation",
        r"\b(sign|ratif|approv|join|accede|adopt)\w* [^.;]{0,40}\b(treaty|convention|accord)\b|\breferendum\b",
        MEDIUM,
    ),
    _cue("law_or_regulation", r"\bnew (\w+ ){0,3}polic(y|ies)\b|\bpolicy change\b", MEDIUM),
    _cue(
        "law_or_regulation",
        r"\b(court|judge|tribunal|justices)\b[^.;]{0,60}\b(rul(es|ed|ing)|judged|uph(o|e)ld|upholds|struck down|"
        r"strikes? down|declar(es|ed) [^.;]{0,20}(unconstitutional|illegal|invalid))\b",
        MEDIUM,
    ),
    _cue("law_or_regulation", r"\brecall(s|ed)?\b|\b(drug|device|medicine) safety\b|\bfield safety notice\b", MEDIUM),
    _cue("law_or_regulation", r"\bexecutive orders?\b|\bpresidential decrees?\b|\bcabinet orders?\b", STRONG),
    _cue("law_or_regulation", r"\bconstitutional (amendment|reform|change)s?\b|\bamend(s|ed|ing)? the constitution\b",
         STRONG),
    _cue(
        "law_or_regulation",
        r"\b(cap|caps|capped|capping|freez(e|es|ing)|froze|fix(es|ed)?|regulat(e|es|ed)) (\w+ ){0,3}"
        r"(prices?|fares?|airfares|rents?|rates|fees|wages?)\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(court|judge|tribunal)\b[^.;]{0,60}\b(block(s|ed)?|halt(s|ed)?|suspend(s|ed)?|annul(s|led)?|"
        r"overturn(s|ed)?|revers(es|ed)|invalidat(es|ed))\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\bsuspend(s|ed|ing)? (the )?(access|flights?|imports?|trading|operations|sales?|use|administration|"
        r"exports?)\b",
        MEDIUM,
    ),
    _cue("ban", r"\border(s|ed)? [^.;]{0,50}\bto (stop|halt|cease|suspend|close)\b", MEDIUM),
    _cue("ban", r"\bclos(e|es|ed|ing) (the |its )?(\w+ ){0,2}(border|borders|airspace|crossings?)\b", MEDIUM),
    _cue("ban", r"\b(temporary restraining order|preliminary injunction|injunction)\b", MEDIUM),
    _cue("ban", r"\bshut(s|ting)? down\b", WEAK, "place"),
    _cue("ban", r"\b(curfews?|lockdowns?|states? of emergency)\b", MEDIUM),
    _cue(
        "ban",
        r"\b(reopen|lift|eas)\w* (the |its |a )?(\w+ ){0,2}(border|borders|airspace|crossings?|curfews?|bans?|"
        r"restrictions?|blockade|lockdown)\b",
        MEDIUM,
    ),
    _cue("ban", r"\border(s|ed)? the (suspension|closure|shutdown|removal) of\b", MEDIUM),
    _cue(
        "ban",
        r"\bsuspend(s|ed|ing)? (the |its |all )?(\w+ ){0,3}(scheme|program(me)?|visas?|services?|platform|app|"
        r"licen[cs]es?|broadcasts?|traffic|shipments?|deliveries)\b",
        MEDIUM,
    ),
    _cue(
        "sanction_or_export_control",
        r"\bban(s|ned)? [^.;]{0,80}\bfrom (entering|the country|travel)|\b(entry|travel|visa) bans?\b",
        MEDIUM,
    ),
    _cue("sanction_or_export_control", r"\b(arms|weapons?|defen[cs]e equipment|technology) exports?\b", MEDIUM),
    _cue("trade_or_tax", r"\bbudget\b|\btax(es|ation)?\b|\blev(y|ies)\b", WEAK),
    _cue("trade_or_tax", r"\b(trade|economic|minerals?|resources|investment) (deal|agreement|partnership)\b", MEDIUM),
    _cue(
        "merger_decision",
        r"\b(complet|finali[sz]|clos)\w* (its |the |a )?[^.;]{0,30}\b(acquisition|merger|takeover)\b",
        MEDIUM,
    ),
    _cue("investigation", r"\b(infringement )?proceedings\b|\bcourt case\b|\blegal action\b|\bsummon(s|ed)\b", MEDIUM),
    _cue("investigation", r"\b(liable|guilty|convicted)\b", WEAK),
    _cue("license_or_approval", r"\bapprov(e|es|ed|al)\b", WEAK),
    _cue(
        "fine_or_penalty",
        r"\b(compensation|reparations?|refunds?)\b",
        WEAK,
    ),
    # company actions
    _cue(
        "market_exit",
        r"\b(end|ends|ended|ending|cease|ceases|ceased|halt|halts|halted) (all )?(its |their )?(operations|"
        r"business|presence)\b",
        STRONG,
        "place",
    ),
    _cue(
        "service_restriction",
        r"\b(remov|pull|delist|block)\w* [^.;]{0,50}\b(apps?|accounts?|content|posts?|videos?|channels?)\b",
        MEDIUM,
    ),
    _cue(
        "compliance_change",
        r"\bin response to\b[^.;]{0,60}\b(laws?|rules?|regulations?|restrictions?|ban|orders?|requirements?)\b",
        MEDIUM,
    ),
    _cue(
        "sales_restriction",
        r"\b(halt|stop|end|suspend|ceas|paus|discontinu|restrict|"
        r"limit)\w*\b[^.;]{0,30}\b(direct )?(sales|selling)\b",
        STRONG,
    ),
    _cue(
        "sales_restriction",
        r"\b(partner|reseller|distributor)[- ]only\b|\benterprise[- ]only\b|"
        r"\bonly (to )?enterprise (customers|clients)\b",
        STRONG,
    ),
    _cue(
        "sales_restriction",
        r"\bno (longer (accept|take|register|sign up) )?new (user )?(registrations|users|customers|"
        r"sign-?ups|accounts|subscribers)\b",
        STRONG,
    ),
    _cue(
        "sales_restriction",
        r"\b(limit|restrict|suspend|stop|halt|paus|clos|"
        r"freez)\w*\b[^.;]{0,30}\bnew (user )?(registrations|sign-?ups|users|customers|accounts|"
        r"subscribers)\b",
        STRONG,
    ),
    _cue(
        "sales_restriction",
        r"\bstop(s|ped|ping)? (accepting|taking) (new )?(orders|customers)\b|\bdirect sales\b",
        MEDIUM,
    ),
    _cue(
        "sales_restriction",
        r"\b(through|via) (local |third-party )?(partners|resellers|distributors)\b",
        MEDIUM,
        "place",
    ),
    # more ways to say a company leaves, enters, limits or complies (the seed examples' phrasing, and reports')
    _cue("market_exit", r"\b(leav(e|es|ing)|exit(s|ed|ing)?|quit(s|ting)?)\s+(?=(?-i:[A-Z]))", MEDIUM, "place_after"),
    _cue(
        "market_exit",
        r"\b(end(s|ed|ing)?|stop(s|ped|ping)?|discontinu\w*) (all )?(its |their )?(\w+ ){0,2}(services?|operations|"
        r"business|flights|sales|presence)\b",
        MEDIUM,
        "place_after",
    ),
    _cue("market_exit", r"\bstop(s|ped|ping)? (running|operating|offering|providing|serving)\b", MEDIUM, "place_after"),
    _cue("market_exit", r"\bwithdr\w* from (a|the|its) (\w+ )?market\b|\bgiv(e|es|ing) up on\b", STRONG),
    _cue(
        "market_exit",
        r"\bsuspend\w* (all |most of |much of |some of )?(its |their )?(\w+ ){0,2}(business|activities|flights|"
        r"operations|services)\b",
        MEDIUM,
        "place_after",
    ),
    _cue(
        "market_exit",
        r"\bsell(s|ing)? (off )?(its|the|\d+% of its) [^.;]{0,40}\b(business|operations|units?|branches|stores) in\b",
        MEDIUM,
        "place_after",
    ),
    _cue("market_entry", r"\b(go(es)?|went|gone|going) live in\b|\bopen(s|ed|ing)? its first\b", STRONG, "place_after"),
    _cue(
        "market_entry",
        r"\b(start(s|ed|ing)?|begin(s|ning)?|began) (selling|taking orders|offering|operating|serving|supplying)\b|"
        r"\bswitch(es|ed)? on\b|\bexpand(s|ed|ing)? beyond\b|\brelaunch(es|ed)?\b",
        MEDIUM,
        "place_after",
    ),
    _cue(
        "service_restriction",
        r"\b(disabl\w+|switch\w* off|turn\w* off|hid(e|es|ing)|made [^.;]{0,40}\bunavailable|"
        r"no longer (be )?(visible|available|able to)|(will|would|does|did) not (release|launch|offer|roll out)|"
        r"hold(s|ing)? back|skip(s|ped|ping)?)\b",
        MEDIUM,
        "place",
    ),
    _cue(
        "service_restriction",
        r"\b(at the request of|at the \w+ request|after an order from|on (the )?orders? (of|from))\b",
        MEDIUM,
    ),
    _cue(
        "compliance_change",
        r"\b(to|in order to|needed to) (comply|meet|satisfy|conform|align) (with )?[^.;]{0,60}\b(laws?|rules?|"
        r"regulations?|requirements?|directive|act|code|standards?|orders?)\b",
        STRONG,
    ),
    _cue(
        "compliance_change",
        r"\bin (line|compliance|accordance) with\b[^.;]{0,60}\b(laws?|rules?|regulations?|requirements?|directive|"
        r"act|code)\b|\bto comply\b",
        MEDIUM,
    ),
    _cue(
        "sales_restriction",
        r"\bno longer (accept|accepting|take|taking|register|registering|sign(ing)? up|signing) (new )?(\w+ )?"
        r"(customers|subscribers|users|applications|drivers|accounts|orders|registrations|sign-?ups)\b|"
        r"\bstop(s|ped|ping)? (registering|signing up|signing) (new )?\w+|\bsell only through\b",
        STRONG,
    ),
    _cue("market_exit", r"\bpull(s|ed|ing)? out of\b", STRONG, "place"),
    _cue(
        "market_exit",
        r"\b(exit|exits|exited|exiting|leav(e|es|ing)|left|quit|quits|quitting) (the )?(\w+ )?market\b",
        STRONG,
        "place",
    ),
    _cue("market_exit", r"\bwithdr(aw|aws|ew|awn|awing) (\w+ ){0,3}from\b", MEDIUM, "place_after"),
    _cue(
        "market_exit",
        r"\bshut(s|ting)? down\b|\bwind(s|ing)? down\b|\bcease(s|d)? (all )?operations\b",
        MEDIUM,
        "place",
    ),
    _cue(
        "market_exit",
        r"\bclos(e|es|ed|ing) (down )?(its|their|all) [^.;]{0,30}\b(operations|offices?|stores?|sites?|"
        r"services?|business|plants?|factor(y|ies))\b",
        MEDIUM,
        "place",
    ),
    _cue(
        "market_exit",
        r"\bno longer (operat|offer|sell|be available|available)\w*\b|\bdiscontinu(e|es|ed|ing)\b",
        MEDIUM,
        "place_after",
    ),
    _cue("market_entry", r"\b(enter|enters|entered|entering) (the )?(\w+ )?market\b", STRONG, "place"),
    _cue("market_entry", r"\blaunch(es|ed|ing)?\b[^.;]{0,50}\bin\b", MEDIUM, "place_after"),
    _cue(
        "market_entry",
        r"\bexpand(s|ed|ing)? (its \w+ )?(in)?to\b|\broll(s|ed|ing)? out\b[^.;]{0,40}\bin\b",
        MEDIUM,
        "place_after",
    ),
    _cue(
        "market_entry",
        r"\bopen(s|ed|ing)? (its )?(first )?(stores?|offices?|operations|factor(y|ies)|plants?|"
        r"data cent(er|re)s?)\b",
        MEDIUM,
        "place_after",
    ),
    _cue("market_entry", r"\b(now|becomes?|became) available in\b", MEDIUM, "place_after"),
    _cue(
        "service_restriction",
        r"\b(won't|will not|not to|not|won't be) (launch|launching|offer|offering|release|releasing|"
        r"available|roll(ing)? out)\b[^.;]{0,60}\bin\b",
        STRONG,
        "place_after",
    ),
    _cue("service_restriction", r"\bat the (request|behest|demand) of\b", STRONG),
    _cue(
        "service_restriction",
        r"\b(suspend|disabl|restrict|limit|remov|withh[eo]ld|geo-?block|"
        r"censor)\w*\b[^.;]{0,40}\b(accounts?|features?|content|posts?|videos?|access|functions?|services?|"
        r"search results)\b",
        MEDIUM,
    ),
    _cue("compliance_change", r"\bdata locali[sz]ation\b", STRONG),
    _cue(
        "compliance_change",
        r"\b(stor|keep|host|mov|transferr?)(e|es|ed|ing|s)?\b[^.;]{0,50}\bdata\b[^.;]{0,50}\b(locally|"
        r"local servers?|servers|data cent(er|re)s?)\b",
        STRONG,
    ),
    _cue(
        "compliance_change",
        r"\b(chang|updat|revis|amend)\w* (its|their) (terms|privacy polic(y|ies)|polic(y|ies)|practices|"
        r"default settings)\b",
        STRONG,
    ),
    _cue("compliance_change", r"\bage (verification|checks?|assurance|estimation)\b", MEDIUM),
    _cue(
        "compliance_change",
        r"\b(to|in order to) comply with\b|\bin compliance with\b|\bcomplying with\b",
        MEDIUM,
    ),
    # Phrasings the cues above missed on real news (measured on tune): treaties suspended, rules tightened or eased,
    # votes, utility prices and subsidies, entry and visa measures, supply cut-offs, resumed routes.
    _cue(
        "law_or_regulation",
        r"\b(suspend|terminat|abrogat|revok|renounc|tear)\w* (up )?(the |its |a )?[^.;]{0,40}\b(treaty|treaties|"
        r"accord|pact|convention)\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(introduc|impos|adopt|approv|announc|implement|tighten|eas|relax|loosen|strengthen|toughen)\w*( of)? "
        r"[^.;]{0,50}\b(requirements|standards|mandates?|quotas?|rationing|restrictions|rules)\b",
        MEDIUM,
    ),
    _cue("law_or_regulation", r"\b(de)?criminali[sz](e|es|ed|ing|ation)\b|\blegali[sz](e|es|ed|ing|ation)\b", MEDIUM),
    _cue(
        "law_or_regulation",
        r"\b(parliament|assembly|senate|house|chamber|congress|lawmakers|legislat\w+|deputies|representatives|mps|"
        r"bundestag|duma|knesset|diet)\b[^.;]{0,40}\bvot(e|es|ed|ing) (\d+\s?[-–]\s?\d+ )?to\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(draft|rewrit|replac|new)\w* (of )?(the |a |its )?(current )?constitution\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(end|cut|scrap|remov|eliminat|reinstat|restor|slash|phas\w* out)\w* (the |a |its )?(\w+ ){0,3}"
        r"subsid(y|ies)\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(rais|hik|increas|cut|lower|reduc|freez|suspend)\w* (the )?(\w+ ){0,2}(electricity|fuel|gas|power|water|"
        r"energy|petrol|diesel) (prices?|tariffs?|rates)\b|\b(fuel|electricity|energy|petrol|diesel) price "
        r"(hikes?|increases?|rises?|cuts?)\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(restrict|limit|curb|ration)\w* (the )?(\w+ ){0,2}(supplies|supply|sales|purchases|consumption) of\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\bvisa[- ]free\b|\bwithout (a |an )?(travel |entry )?visas?\b|\bvisa[- ]on[- ]arrival\b|"
        r"\bvisa (waiver|exemption)s?\b|\b(will|to) be (allowed|permitted) to\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(join|joins|joined|joining|rejoin\w*|leav(e|es|ing)|left|quit|quits|exit(s|ed|ing)?|withdr\w+ from) "
        r"(the )?(opec\+?|eurozone|euro ?area|schengen( area)?|nato|wto|brics|european union|african union|asean|"
        r"world health organi[sz]ation|paris (climate )?agreement)\b|\badopt(s|ed|ing)? the euro\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\boverhaul(s|ed|ing)? (of )?(the )?(\w+ ){0,3}(system|benefits|rules|laws?|code|regime|scheme)\b",
        MEDIUM,
    ),
    _cue(
        "law_or_regulation",
        r"\b(introduc|unveil|adopt)\w* (a |an |the )?(new )?(\w+[- ]){0,3}(scheme|programme|workweek|work week)\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\b(trading|flights|imports|exports|sales|operations|traffic|services|shipments|broadcasts?)\b[^.;]{0,60}?"
        r"\b(has been|have been|was|were|is|are|been) (temporarily |indefinitely )?(suspended|halted|banned|blocked)\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\b(airports?|airspace|borders?|crossings?|straits?)\b (\w+ ){0,4}(is |are |was |were |has been |have been |"
        r"remains? |remained )?(closed|shut)\b|\bclosure of (the )?(\w+ ){0,3}(airports?|airspace|borders?|"
        r"crossings?|straits?)\b|\b(not|refus\w+ to) (re)?open (the )?(\w+ ){0,2}(crossings?|borders?|airspace|"
        r"airports?|strait)\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\breopen\w* (of )?(the |its |a )?(\w+ ){0,2}(border|borders|airspace|crossings?|strait|airports?)\b|"
        r"\b(end|ends|ended|ending) (a |the |its )?(\w+ ){0,3}(suspension|blockade|moratorium|embargo|ban)\b|"
        r"\b(regain|restor)\w* access\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\b(impos|lift|end|announc|declar|enforc)\w* (a |the |its )?(\w+ ){0,2}blockade\b|"
        r"\bblockade\b[^.;]{0,60}\b(ended|lifted|imposed|ends)\b",
        MEDIUM,
    ),
    _cue(
        "ban",
        r"\b(refus|stop|halt|suspend|reject)\w* (accepting )?(all )?(inbound |incoming )?(parcels|packages|mail)\b",
        MEDIUM,
    ),
    _cue(
        "sanction_or_export_control",
        r"\b(grey|gray|terror(ist|ism)?|sanctions?|watch) ?list\b|\bstate sponsors? of terrorism\b",
        STRONG,
    ),
    _cue(
        "sanction_or_export_control",
        r"\b(suspend|halt|stop|cut|end|block)\w* (off )?(\w+ ){0,2}(gas|oil|energy|electricity|fuel|power|"
        r"grain|arms|weapons?) (supplies|supply|deliveries|exports|transit|shipments|sales|flows?)\b",
        MEDIUM,
    ),
    _cue(
        "sanction_or_export_control",
        r"\b(suspend|halt|freez|cut|sever|end)\w* (all )?(\w+ ){0,3}(commercial|financial|trade|economic|banking) "
        r"(exchanges|transactions|ties|relations|dealings)\b",
        MEDIUM,
    ),
    _cue(
        "sanction_or_export_control",
        r"\b(bans?|banned|banning|bar|bars|barred|barring)\b[^.;]{0,120}\bfrom (entering|the country|travel\w*|"
        r"visiting)\b|\bvisa (restrictions?|sanctions?)\b|\b(revok|cancel)\w* [^.;]{0,40}\bvisas?\b",
        MEDIUM,
    ),
    _cue(
        "trade_or_tax",
        r"\b(suspend|halt|stop|cut|end|block|restrict)\w* (off )?(the )?(\w+ ){0,2}(transport|transit|supplies|supply|"
        r"deliveries|shipments|flows?) of (\w+ ){0,2}(gas|oil|crude|energy|electricity|fuel|grain|coal)\b",
        MEDIUM,
    ),
    _cue(
        "trade_or_tax",
        r"\b(suspension|halt|freeze) (of|on) (all )?(\w+ ){0,2}(trade|imports|exports)\b|"
        r"\b(restrict|limit|curb|tighten)\w* (all )?(\w+ ){0,2}(trade|exports|imports)\b",
        MEDIUM,
    ),
    _cue(
        "trade_or_tax",
        r"\bmarket economy status\b|\bcarbon (pric\w+|tax(es)?|levy|levies|border (tax|adjustment))\b|"
        r"\bemissions? trading\b",
        MEDIUM,
    ),
    _cue(
        "investigation",
        r"\blegal challenges?\b|\b(arbitration|conciliation) (case|proceedings?|process|claims?)\b|"
        r"\binitiat\w+ (\w+ ){0,2}(arbitration|conciliation|proceedings)\b",
        MEDIUM,
    ),
    _cue(
        "market_entry",
        r"\b(resum|restart|relaunch)\w* (\w+ ){0,3}(flights|services?|operations|routes?) to\b|"
        r"\bresumption of (\w+ ){0,3}(flights|services?|operations|routes?) to\b",
        MEDIUM,
        "place_after",
    ),
    _cue("market_entry", r"\b(first|new)\b[^.;]{0,40}\bopen(s|ed|ing)? in\b", MEDIUM, "place_after"),
    _cue("market_entry", r"\breturn(s|ed|ing)? to (?=(?-i:[A-Z]))", WEAK, "place_after"),
    _cue(
        "sales_restriction",
        r"\b(paus|suspend|halt|stop)\w* (all )?(\w+ ){0,2}(exports|shipments|shipping|deliveries) to\b|"
        r"\b(shipping|shipment|delivery|export) (pause|halt|suspension)\b",
        MEDIUM,
        "place_after",
    ),
)

# Types that override weaker readings of the same sentence: a blocked merger is not a ban.
SUPPRESSES: dict[str, tuple[str, ...]] = {
    "merger_decision": ("ban", "investigation", "license_or_approval"),
    "sanction_or_export_control": ("ban",),
    "sales_restriction": ("market_exit", "service_restriction"),
    "market_exit": ("service_restriction",),
}

MERGER_WORDS = re.compile(_MERGER_NOUN, re.IGNORECASE)
MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(million|billion|bn|m)\b|\b(usd|eur|gbp|rupees?|yuan|euros?|pounds|"
    r"dollars)\b",
    re.IGNORECASE,
)

STATUS_REVERSED = re.compile(
    r"\b(lift(s|ed|ing)? (the |its |a )?(ban|sanctions?|restrictions?|suspension)|revers(e|es|ed|ing)|"
    r"overturn(s|ed|ing)?|"
    r"rescind(s|ed|ing)?|repeal(s|ed|ing)?|scrap(s|ped|ping)|set(s|ting)? aside|vacat(e|es|ed|ing|ur)|"
    r"withdr(aw|ew|awn|aws) (the|its|a) (ban|rule|order|proposal|licen[cs]e)|reinstat(e|es|ed|ing)|u-turn|"
    r"back(s|ed)? down|resum(e|es|ed|ing))\b",
    re.IGNORECASE,
)
STATUS_PROPOSED = re.compile(
    r"\b(propos(e|es|ed|al|als|ing)|draft|consult(ation|ations|ing|s)?|call for evidence|bill|considering|"
    r"plan(s|ned|ning)? to|seek(s|ing)? (public )?comments?|request for (public )?comments?|mull(s|ing)?|"
    r"white paper|green paper|recommend(s|ed|ing)?)\b",
    re.IGNORECASE,
)
STATUS_MODAL = re.compile(r"\b(would|could|may|might|consider(s|ing)?)\b", re.IGNORECASE)
STATUS_ANNOUNCED = re.compile(
    r"\b(will|shall|'ll|is set to|are set to|going to|announc(e|es|ed|ing)|intend(s|ed)? to|expects? to|"
    r"upcoming|from next|to be)\b",
    re.IGNORECASE,
)
STATUS_IN_EFFECT = re.compile(
    r"\b(took effect|takes effect|came into (force|effect)|comes into force|in force|in effect|has|have|"
    r"had|was|were|\w+ed)\b",
    re.IGNORECASE,
)

GOVERNMENT_WORDS = re.compile(
    r"\b(government|governments|regulators?|authorities|ministry|minister|parliament|lawmakers|legislators|"
    r"courts?|judge|congress|senate|officials|prosecutors|cabinet|president|prime minister|state council|"
    r"legislature|administration)\b",
    re.IGNORECASE,
)
COMPANY_PRONOUNS = re.compile(r"\b(it|its|the company|the firm|the group|the platform|the service)\b", re.IGNORECASE)

# Sentences that are boilerplate or instructions, not news: never evidence.
SKIP_SENTENCE = re.compile(
    r"^\W*(you|learn more|read more|to (learn|find|report|file)|follow (the|us)|sign up|subscribe|"
    r"for more information|"
    r"contact|press release|photo)\b|have the force of law when|works to promote competition",
    re.IGNORECASE,
)
QUOTE_START = re.compile(r"^\W{0,3}[\"“‘']")
