"""The words of the committee's report, in English and Danish, and how they are filled in."""

from __future__ import annotations

import html
from typing import Any

from ..core._format import Lang, is_nan, number
from ..model.scenarios import Span

__all__ = ["WORDS", "escaped", "figure", "words"]

WORDS: dict[str, tuple[str, str]] = {
    "title": ("Broadband ducts: evaluation report", "Tomrør til bredbånd: evalueringsrapport"),
    "made": ("Made {date} from the workspace {ws}.", "Lavet {date} ud fra arbejdsfilen {ws}."),
    "synthetic": (
        "synthetic demo data: every figure in this report is made up.",
        "syntetiske demodata: alle tal i rapporten er opdigtede.",
    ),
    "contents": ("Contents", "Indhold"),
    "not_computed": ("Not computed yet: run", "Ikke beregnet endnu: kør"),
    "in_short": ("In short", "Kort fortalt"),
    "key": ("Key figures", "Nøgletal"),
    "figure": ("Figure", "Tal"),
    "value": ("Value", "Værdi"),
    "hh_served": (
        "Households with modern broadband now",
        "Husstande med moderne bredbånd nu",
    ),
    "ad_served": ("Addresses with modern broadband now", "Adresser med moderne bredbånd nu"),
    "hh_duct": ("Households our ducts reach", "Husstande vores tomrør når"),
    "ad_duct": ("Addresses our ducts reach", "Adresser vores tomrør når"),
    "ad_beyond": (
        "Addresses farther than the drop distance from every street",
        "Adresser længere end stikafstanden fra enhver vej",
    ),
    "sites": ("Municipal sites connected", "Kommunale institutioner tilsluttet"),
    "duct_len": ("Ducts in the ground", "Tomrør i jorden"),
    "duct_conn": ("of which connected to the backbone", "heraf forbundet til backbone"),
    "served_means": (
        "Modern broadband means at least {down} Mbit/s down and {up} Mbit/s up. An address "
        "counts as served when our ducts reach it or when it has such a line already. "
        "Our ducts reach an address when its street, within {drop} m, carries a duct that "
        "is connected through ducts to the backbone.",
        "Moderne bredbånd betyder mindst {down} Mbit/s ned og {up} Mbit/s op. En adresse "
        "tæller som dækket, når vores tomrør når den, eller når den allerede har en sådan "
        "forbindelse. Vores tomrør når en adresse, når dens vej inden for {drop} m har et "
        "tomrør, der gennem tomrør er forbundet til backbone.",
    ),
    "laid": ("Ducts laid per year", "Tomrør lagt pr. år"),
    "laid_text": (
        "Metres of duct in the ground by the year they were laid and by who dug the trench.",
        "Meter tomrør i jorden efter år og efter hvem der gravede.",
    ),
    "year": ("Year", "År"),
    "total": ("Total", "I alt"),
    "year_unknown": ("year unknown", "år ukendt"),
    "co-dig": ("co-digging", "samgravning"),
    "own-dig": ("own digging", "egen gravning"),
    "fibre-project": ("fibre project", "fiberprojekt"),
    "unknown": ("unknown", "ukendt"),
    "money": ("Money: spent and budget", "Penge: brugt og budget"),
    "money_text": (
        "DKK per year. The budget is what buys ducts in scenario “{name}” (co-digging and "
        "materials{own}). Agreed means a utility said yes; spent means the duct is laid.",
        "Kroner pr. år. Budgettet er det, der køber tomrør i scenariet “{name}” "
        "(samgravning og materialer{own}). Aftalt betyder, at et forsyningsselskab har sagt "
        "ja; brugt betyder, at røret er lagt.",
    ),
    "own_line": (" and own digging", " og egen gravning"),
    "plan_best": (
        "The plan ({method}) is proven the best possible within its budgets.",
        "Planen ({method}) er bevist den bedst mulige inden for budgetterne.",
    ),
    "plan_within": (
        "The plan ({method}) is within {gap} of the best possible (a proven bound).",
        "Planen ({method}) ligger højst {gap} fra den bedst mulige (en bevist grænse).",
    ),
    "plan_unknown": (
        "The plan ({method}) is a heuristic's: how far it is from the best possible is not known.",
        "Planen ({method}) er lagt heuristisk: hvor langt den er fra den bedst mulige, vides ikke.",
    ),
    "budget": ("Budget", "Budget"),
    "planned_dkk": ("Planned", "Planlagt"),
    "agreed_dkk": ("Agreed (laid included)", "Aftalt (udlagt medregnet)"),
    "spent": ("Spent", "Brugt"),
    "left": ("Left", "Tilbage"),
    "no_budget": (
        "No budget known: the workspace has no plan. Run",
        "Intet budget kendt: arbejdsfilen har ingen plan. Kør",
    ),
    "pvr": ("Planned and realised, year by year", "Planlagt og realiseret, år for år"),
    "pvr_text": (
        "What we found, planned, agreed and laid each year, and what it gave. Coverage "
        "gained counts every duct laid that year, whoever paid for it; cost per household "
        "is the DKK spent divided by the households gained.",
        "Hvad vi fandt, planlagde, aftalte og lagde hvert år, og hvad det gav. Dækning "
        "vundet tæller alle tomrør lagt det år, uanset hvem der betalte; pris pr. husstand "
        "er de brugte kroner delt med de vundne husstande.",
    ),
    "opps": ("Opportunities found", "Muligheder fundet"),
    "opp_digs": ("{n} digs", "{n} gravninger"),
    "plan_m": ("Planned (m)", "Planlagt (m)"),
    "agreed": ("Requests agreed", "Anmodninger aftalt"),
    "laid_m": ("Ducts laid (m)", "Tomrør lagt (m)"),
    "spent_dkk": ("DKK spent", "Kr. brugt"),
    "cost_hh": ("DKK per household reached", "Kr. pr. husstand nået"),
    "gained": ("Coverage gained (households)", "Dækning vundet (husstande)"),
    "districts": ("Coverage per district", "Dækning pr. bydel"),
    "district": ("District", "Bydel"),
    "households": ("Households", "Husstande"),
    "covered": ("Reached by our ducts", "Nået af vores tomrør"),
    "served": ("Modern broadband now", "Moderne bredbånd nu"),
    "addresses": ("Addresses", "Adresser"),
    "outside": ("outside every district", "uden for alle bydele"),
    "map_caption": (
        "Share of households our ducts reach, per district; lines are the ducts in the ground.",
        "Andel af husstande vores tomrør når, pr. bydel; stregerne er tomrørene i jorden.",
    ),
    "no_households": ("no households", "ingen husstande"),
    "forecast": ("Forecast per scenario", "Prognose pr. scenarie"),
    "forecast_text": (
        "Nobody knows where streets will be dug more than a few months ahead, so the "
        "forecast simulates many possible futures. The line is the middle outcome (P50); "
        "the band holds eight futures in ten (P10 to P90).",
        "Ingen ved, hvor der graves om mere end få måneder, så prognosen simulerer mange "
        "mulige fremtider. Linjen er det midterste udfald (P50); båndet rummer otte ud af "
        "ti fremtider (P10 til P90).",
    ),
    "hh_reached": ("households reached by our ducts", "husstande nået af vores tomrør"),
    "all_hh": ("all households", "alle husstande"),
    "target": ("target", "mål"),
    "p_target": ("Chance of target", "Chance for mål"),
    "share_hh": ("Share (P50)", "Andel (P50)"),
    "scenario": ("Scenario", "Scenarie"),
    "started_line": (
        "Started from the network as it was on {date}: the ducts laid by then and the digs "
        "known then, so the realised figures can be held against it.",
        "Startet fra nettet, som det var {date}: de tomrør, der var lagt, og de gravearbejder, "
        "der var kendt, så de realiserede tal kan holdes op mod den.",
    ),
    "realised": ("Realised", "Realiseret"),
    "realised_note": (
        "Realised: households our ducts reach with the ducts laid up to the end of each "
        "year ({year}: so far).",
        "Realiseret: husstande vores tomrør når med de tomrør, der var lagt ved årets "
        "udgang ({year}: indtil nu).",
    ),
    "band_within": ("within P10–P90", "inden for P10–P90"),
    "band_below": ("below P10", "under P10"),
    "band_above": ("above P90", "over P90"),
    "runs_line": (
        "{runs} simulated futures, seed {seed}, up to {horizon}.",
        "{runs} simulerede fremtider, frø {seed}, frem til {horizon}.",
    ),
    "target_title": (
        "When each district is reached",
        "Hvornår hver bydel nås",
    ),
    "target_text": (
        "For each district: the year by which the median future reaches half, three "
        "quarters and nine in ten of its households with our ducts, and the chance that a "
        "share is reached by {horizon}.",
        "For hver bydel: året, hvor den mediane fremtid når halvdelen, tre fjerdedele og ni "
        "ud af ti af dens husstande med vores tomrør, og chancen for at en andel er nået i "
        "{horizon}.",
    ),
    "src_title": ("What the band of {year} is made of", "Hvad båndet i {year} består af"),
    "src_assumption": ("Assumed", "Antaget"),
    "src_band": ("P10–P90 in {year}", "P10–P90 i {year}"),
    "src_median": ("P50", "P50"),
    "src_share": ("Share of the spread", "Andel af spredningen"),
    "src_all": ("as forecast", "som forudsagt"),
    "src_cycle_low": ("mean cycle {low} years", "middelcyklus {low} år"),
    "src_cycle_high": ("mean cycle {high} years", "middelcyklus {high} år"),
    "src_cycle_known": (
        "mean cycle known ({mid} years)",
        "middelcyklus kendt ({mid} år)",
    ),
    "src_street_by_street": (
        "street by street, no projects",
        "vej for vej, ingen projekter",
    ),
    "src_plans_sure": (
        "every announced dig on time",
        "hver annonceret gravning til tiden",
    ),
    "src_from_cycle_known": (
        "{share} from not knowing the mean cycle",
        "{share} fra ikke at kende middelcyklussen",
    ),
    "src_from_street_by_street": (
        "{share} from digging coming in projects",
        "{share} fra at gravning sker i projekter",
    ),
    "src_from_plans_sure": (
        "{share} from announced digs that slip or are cancelled",
        "{share} fra annoncerede gravninger, der skrider eller aflyses",
    ),
    "src_join": ("; ", "; "),
    "src_sentence": (
        "Of the band's spread in {year}: {parts}; the rest is chance, which streets are dug when.",
        "Af båndets spredning i {year}: {parts}; resten er tilfældighed, hvilke veje der "
        "graves hvornår.",
    ),
    "src_chance_only": (
        "The band of {year} is chance alone: which streets are dug when.",
        "Båndet i {year} er ren tilfældighed: hvilke veje der graves hvornår.",
    ),
    "median_reaches": ("Median reaches {share}", "Medianen når {share}"),
    "chance_by": ("Chance of {share} by {year}", "Chance for {share} i {year}"),
    "after": ("after {year}", "efter {year}"),
    "share_25": ("a quarter", "en fjerdedel"),
    "share_50": ("half", "halvdelen"),
    "share_75": ("three quarters", "tre fjerdedele"),
    "share_90": ("nine in ten", "ni ud af ti"),
    "d_half_by": (
        "{name}: half of its {hh} households are reached by {year} in the median future",
        "{name}: halvdelen af dens {hh} husstande er nået i {year} i den mediane fremtid",
    ),
    "d_three_quarters": (", three quarters by {year}", ", tre fjerdedele i {year}"),
    "d_nine_tenths": (" and nine in ten by {year}", " og ni ud af ti i {year}"),
    "d_median_share": (
        "{name}: the median future reaches {share} of its {hh} households by {horizon}",
        "{name}: den mediane fremtid når {share} af dens {hh} husstande i {horizon}",
    ),
    "d_chance": (
        "; the chance of reaching {share} by {horizon} is {p}",
        "; chancen for at nå {share} i {horizon} er {p}",
    ),
    "frontier": ("Budget frontier", "Budgetkurve"),
    "frontier_text": (
        "What more or less money a year would give: households reached (P50, with the "
        "P10–P90 band) against the yearly budget.",
        "Hvad flere eller færre penge om året ville give: husstande nået (P50, med "
        "P10–P90-båndet) mod det årlige budget.",
    ),
    "budget_axis": ("budget, million DKK per year", "budget, mio. kr. pr. år"),
    "in_year": ("in {year}", "i {year}"),
    "assumptions": ("Assumptions", "Forudsætninger"),
    "assume_costs": (
        "Laying a duct in another party's open trench costs {co} DKK per metre, the duct "
        "material {mat} DKK per metre, and digging our own trench {own} DKK per metre.",
        "At lægge et tomrør i en andens åbne rende koster {co} kr. pr. meter, "
        "rørmaterialet {mat} kr. pr. meter, og at grave sin egen rende {own} kr. pr. meter.",
    ),
    "assume_budget": (
        "The budget is {total} DKK a year: co-digging {co}, materials {mat}, communication "
        "{com}, project management {pm}, own digging {own}.",
        "Budgettet er {total} kr. om året: samgravning {co}, materialer {mat}, "
        "kommunikation {com}, projektledelse {pm}, egen gravning {own}.",
    ),
    "assume_cycle": (
        "Every street is dug up again on average every {cycle} years; the time between two "
        "digs follows {dist}.",
        "Hver vej graves op igen i gennemsnit hvert {cycle} år; tiden mellem to gravninger "
        "følger {dist}.",
    ),
    "dist_exponential": ("an exponential distribution", "en eksponentialfordeling"),
    "dist_gamma": ("a gamma distribution with shape {k}", "en gammafordeling med form {k}"),
    "dist_uniform": (
        "a uniform distribution within ±{spread} of the mean",
        "en ligefordeling inden for ±{spread} af gennemsnittet",
    ),
    "dist_cycle": (
        "a strict cycle (the same number of years every time)",
        "en fast cyklus (samme antal år hver gang)",
    ),
    "assume_drop": (
        "A house counts as reachable when it is at most {drop} m from a street with a "
        "connected duct (the drop distance).",
        "Et hus tæller som nåbart, når det højst ligger {drop} m fra en vej med et "
        "forbundet tomrør (stikafstanden).",
    ),
    "assume_projects": (
        "Digging comes in projects: a utility opens about {length} m of connected streets in "
        "one season, so whole neighbourhoods are dug, and missed, together.",
        "Gravning sker i projekter: et forsyningsselskab åbner omkring {length} m "
        "sammenhængende veje i én sæson, så hele kvarterer graves, og springes over, sammen.",
    ),
    "assume_projects_none": (
        "Every street is dug on its own, independently of its neighbours.",
        "Hver vej graves for sig, uafhængigt af nabovejene.",
    ),
    "history_title": ("What the record of digs says", "Hvad optegnelsen over gravninger siger"),
    "history_cycle": (
        "The streets' last digs suggest a mean cycle of {cycle} years (95 %: {low}–{high}), "
        "from {streets} of {total} streets with a recorded last dig over {years} years, "
        "beside the cycles the scenarios above assume.",
        "Vejenes seneste gravninger peger på en middelcyklus på {cycle} år (95 %: "
        "{low}–{high}), ud fra {streets} af {total} veje med en registreret seneste gravning "
        "over {years} år, ved siden af de cyklusser, scenarierne ovenfor antager.",
    ),
    "history_no_cycle": (
        "The streets' last digs ({streets} streets over {years} years) spread evenly over the "
        "record: they fit no renewal cycle (only one of at least {low} years), so they cannot "
        "check the scenarios' cycle.",
        "Vejenes seneste gravninger ({streets} veje over {years} år) fordeler sig jævnt over "
        "optegnelsen: de passer ikke til nogen fornyelsescyklus (kun en på mindst {low} år), "
        "så de kan ikke efterprøve scenariernes cyklus.",
    ),
    "history_project": (
        "The {digs} done digs average {length} m each (95 %: {low}–{high}), beside the "
        "scenarios' project size.",
        "De {digs} udførte gravninger er i gennemsnit {length} m hver (95 %: {low}–{high}), "
        "ved siden af scenariernes projektstørrelse.",
    ),
    "history_none": (
        "The workspace records no last digs or done digs to check the cycle or the project "
        "size against.",
        "Arbejdsområdet har ingen registrerede seneste eller udførte gravninger at efterprøve "
        "cyklussen eller projektstørrelsen med.",
    ),
    "assume_side_paths": (
        "A sidewalk or cycle track mapped as its own line within {side} m of a road is part "
        "of that road: a duct in the road serves the houses beside it.",
        "Et fortov eller en cykelsti, der er tegnet som egen linje højst {side} m fra en vej, "
        "hører til vejen: et tomrør i vejen når husene ved siden af.",
    ),
    "assume_side_paths_none": (
        "Every sidewalk and cycle track mapped as its own line counts as a street of its own.",
        "Hvert fortov og hver cykelsti, der er tegnet som egen linje, tæller som sin egen vej.",
    ),
    "assume_target": (
        "A district reaches its target when {share} of its households are reached.",
        "En bydel når sit mål, når {share} af dens husstande er nået.",
    ),
    "assume_conf": (
        "A planned dig really opens its trench with a chance of {firm} when firm (permit "
        "given), {budgeted} when in the owner's budget and {indicative} when only "
        "announced. Of the digs that miss their window, {cancel} are cancelled; the others "
        "come on average {slip} years late.",
        "En planlagt gravning åbner faktisk renden med en chance på {firm}, når den er fast "
        "(tilladelse givet), {budgeted}, når den er i ejerens budget, og {indicative}, når "
        "den kun er annonceret. Af de gravninger, der ikke holder tiden, aflyses {cancel}; "
        "de øvrige kommer i gennemsnit {slip} år for sent.",
    ),
    "assume_within": (
        "So a street with no known history is dug within 5 years with a chance of {p}.",
        "En vej uden kendt historik graves altså op inden for 5 år med en chance på {p}.",
    ),
    "assume_sim": (
        "The forecast simulates {runs} futures with seed {seed} up to {horizon}.",
        "Prognosen simulerer {runs} fremtider med frø {seed} frem til {horizon}.",
    ),
    "no_scenario": (
        "No scenario has been used on this workspace yet. Run",
        "Intet scenarie er brugt på arbejdsfilen endnu. Kør",
    ),
    "sources": ("Data sources", "Datakilder"),
    "layer": ("Layer", "Lag"),
    "source": ("Source", "Kilde"),
    "updated": ("Updated", "Opdateret"),
    "kind": ("Kind", "Art"),
    "features": ("Features", "Objekter"),
    "real": ("real", "rigtige"),
    "synthetic_word": ("synthetic (demo)", "syntetiske (demo)"),
    "no_sources": (
        "The workspace records no sources.",
        "Arbejdsfilen har ingen registrerede kilder.",
    ),
    "manifest": ("Run manifest", "Kørselsoplysninger"),
    "manifest_text": (
        "Everything needed to reproduce each figure: the input files with their SHA-256 "
        "hashes, the scenario parameters, the seeds and the program version.",
        "Alt der skal til for at genskabe hvert tal: inputfilerne med deres SHA-256-"
        "kontrolsummer, scenariets parametre, frøene og programversionen.",
    ),
    "file": ("File", "Fil"),
    "role": ("Role", "Rolle"),
    "bytes": ("Bytes", "Bytes"),
    "reproduce": ("To reproduce", "Sådan genskabes tallene"),
    "parameters": ("Scenario parameters", "Scenariets parametre"),
    "sentence_cov": (
        "Today our ducts reach {covered}.",
        "I dag når vores tomrør {covered}.",
    ),
    "sentence_served": (
        "Counting those with a fast line already, {served} have modern broadband.",
        "Medregnet dem, der allerede har en hurtig forbindelse, har {served} moderne bredbånd.",
    ),
    "sentence_forecast": (
        "Under “{name}”, the middle forecast for {year} is {p50} households reached "
        "(eight futures in ten: {p10} to {p90}).",
        "Under “{name}” er den midterste prognose for {year} {p50} husstande nået "
        "(otte ud af ti fremtider: {p10} til {p90}).",
    ),
    "sentence_spent": (
        "So far {spent} DKK has been spent on the {m} of duct laid as agreed with the utilities.",
        "Indtil nu er der brugt {spent} kr. på de {m} tomrør, der er lagt efter aftale med "
        "forsyningsselskaberne.",
    ),
    "footer": (
        "Made by ductplanner {version}. Open source; figures reproducible from the manifest.",
        "Lavet med ductplanner {version}. Åben kildekode; tallene kan genskabes ud fra "
        "kørselsoplysningerne.",
    ),
}


def words(key: str, lang: Lang, **values: Any) -> str:
    """Return the words for ``key`` in ``lang``, with ``values`` filled in (unescaped).

    >>> words("contents", "da")
    'Indhold'
    """
    text = WORDS[key][0 if lang == "en" else 1]
    return text.format(**values) if values else text


def escaped(value: Any) -> str:
    """HTML-escape any value's text ('' for a missing value).

    >>> escaped("<b>"), escaped(None)
    ('&lt;b&gt;', '')
    """
    if value is None or is_nan(value):
        return ""
    return html.escape(str(value), quote=True)


def figure(value: Any, lang: Lang, decimals: int = 0) -> str:
    """Return a number as the report writes it ('–' for a missing one).

    A range nobody knows better (:class:`~ductplanner.model.scenarios.Span`)
    gives both ends (whole ones without decimals).

    >>> figure(1234.5, "da", 1), figure(None, "en"), figure(Span(5, 6), "en")
    ('1.234,5', '–', '5–6')
    """
    if isinstance(value, Span) and not value.fixed:
        whole = float(value.low).is_integer() and float(value.high).is_integer()
        digits = 0 if whole else decimals
        return "–".join(number(float(x), digits, lang=lang) for x in (value.low, value.high))
    if value is None or is_nan(value):
        return "–"
    return number(float(value), decimals, lang=lang)
