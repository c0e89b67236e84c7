"""Danish for the forecast maps: English text → Danish.

Covers :mod:`.forecast_maps`: the time view and the comparison view, their
legend, popups, year switch and About panel.
"""

from __future__ import annotations

__all__ = ["FORECAST_DANISH"]

FORECAST_DANISH: dict[str, str] = {
    # the districts and their popups
    "Districts": "Bydele",
    "District {name}": "Bydel {name}",
    "District {name}, {year}": "Bydel {name}, {year}",
    "Forecast": "Prognose",
    "none for {year}": "ingen for {year}",
    "no forecast": "ingen prognose",
    "no forecast for {year}": "ingen prognose for {year}",
    "Households": "Husstande",
    "Duct-covered, median of the runs": "Dækket med tomrør, median af kørslerne",
    "Median share": "Medianandel",
    "Mean": "Middelværdi",
    "10th–90th percentile": "10.–90. percentil",
    "Runs reaching the target share": "Kørsler der når målandelen",
    "Scenario": "Scenarie",
    "{year}: median {p50} of {total} households duct-covered ({share}); "
    "in 8 of 10 runs between {p10} and {p90}": (
        "{year}: median {p50} af {total} husstande dækket med tomrør ({share}); "
        "i 8 af 10 kørsler mellem {p10} og {p90}"
    ),
    "; target reached in {share} of runs": "; målet nået i {share} af kørslerne",
    "{year}: no municipality total in the forecast": (
        "{year}: prognosen har intet tal for hele kommunen"
    ),
    # the streets
    "Streets with a duct": "Gader med tomrør",
    "duct in at least half of the runs": "tomrør i mindst halvdelen af kørslerne",
    "duct in at least 9 of 10 runs": "tomrør i mindst 9 af 10 kørsler",
    # the legend
    "Districts: median share of households duct-covered": (
        "Bydele: medianandel af husstande dækket med tomrør"
    ),
    "Streets: chance of a connected duct": "Gader: chance for et forbundet tomrør",
    # the year switch
    "previous year": "forrige år",
    "next year": "næste år",
    "year": "år",
    # titles
    "{name}: forecast coverage year by year, {scenario}": (
        "{name}: forventet dækning år for år, {scenario}"
    ),
    "{name}: {left} and {right} in {year}": "{name}: {left} og {right} i {year}",
    # the About panel
    "district outlines": "bydelenes omrids",
    "street lines": "gadernes linjer",
    "district colours and figures": "bydelenes farver og tal",
    "street colours": "gadernes farver",
    "how it was simulated (below)": "hvordan der blev simuleret (nedenfor)",
    "{scenario} ({name}): how it was simulated is not recorded.": (
        "{scenario} ({name}): hvordan der blev simuleret, er ikke registreret."
    ),
    "Scenario {scenario} ({name}): {runs} runs, seed {seed}, future digging {regrowth}, "
    "horizon {horizon}; simulated {date} by ductplanner {version}.": (
        "Scenarie {scenario} ({name}): {runs} kørsler, seed {seed}, fremtidig gravning "
        "{regrowth}, horisont {horizon}; simuleret {date} med ductplanner {version}."
    ),
    "{distribution}, mean cycle {years} years": "{distribution}, middelcyklus {years} år",
    ", shape {shape}": ", form {shape}",
    "{scenario}: the band of {year}": "{scenario}: båndet i {year}",
    "{share} from not knowing the mean cycle": "{share} fra ikke at kende middelcyklussen",
    "{share} from digging coming in projects": "{share} fra at gravning sker i projekter",
    "{share} from announced digs that slip or are cancelled": (
        "{share} fra annoncerede gravninger, der skrider eller aflyses"
    ),
    "; the rest is chance": "; resten er tilfældighed",
    ": all chance": ": ren tilfældighed",
    "median {p50} households with a mean cycle of {cycle} years": (
        "median {p50} husstande med en middelcyklus på {cycle} år"
    ),
    ", in projects of about {length} m of streets": ", i projekter på omkring {length} m veje",
    "exponential": "eksponentiel",
    "gamma": "gamma",
    "uniform": "ligefordelt",
    "Districts are coloured by the median over the runs of households duct-covered, as a share "
    "of the district's households; popups give the 10th–90th percentile band. Streets are "
    "coloured where at least half (dark: nine in ten) of the runs have a duct on them "
    "connected to the backbone by that year.": (
        "Bydelene er farvet efter medianen over kørslerne af husstande dækket med tomrør, "
        "som andel af bydelens husstande; popup-vinduerne giver båndet fra 10. til 90. "
        "percentil. Gader er farvet, hvor mindst halvdelen (mørk: ni af ti) af kørslerne har "
        "et tomrør i dem, forbundet med backbone det år."
    ),
    "Forecast districts not in the districts layer (not drawn): {names}": (
        "Prognosens bydele, der ikke er i bydelslaget (ikke tegnet): {names}"
    ),
    "{count} street edges of the forecast are not in the street network (not drawn): "
    "the streets changed since the simulation; simulate again.": (
        "{count} gadestrækninger i prognosen er ikke i gadenettet (ikke tegnet): gaderne er "
        "ændret siden simuleringen; simulér igen."
    ),
}
