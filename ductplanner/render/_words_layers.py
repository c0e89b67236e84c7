"""Danish for the workspace maps (:mod:`.maps`, :mod:`.leaflet`): English text → Danish."""

from __future__ import annotations

__all__ = ["LAYERS_DANISH"]

LAYERS_DANISH: dict[str, str] = {
    # values
    "yes": "ja",
    "no": "nej",
    # the layers, in the layer control and the About panel
    "Streets": "Veje",
    "Paths": "Stier",
    "Ducts": "Tomrør",
    "Backbone": "Backbone",
    "Municipal sites": "Kommunale institutioner",
    "Third-party digs": "Andres gravearbejder",
    "Co-digging opportunities": "Muligheder for samgravning",
    "Digs in the same street": "Gravearbejder i samme vej",
    "Chosen plan": "Valgt plan",
    "Addresses": "Adresser",
    "Districts": "Bydele",
    "Addresses (colours)": "Adresser (farver)",
    "Districts (colours, figures)": "Bydele (farver, tal)",
    "not on this map": "ikke på dette kort",
    "not computed yet: run `ductplanner coverage WORKSPACE`": (
        "ikke beregnet endnu: kør `ductplanner coverage WORKSPACE`"
    ),
    "not computed yet: run `ductplanner opportunities WORKSPACE`": (
        "ikke beregnet endnu: kør `ductplanner opportunities WORKSPACE`"
    ),
    "not computed yet: run `ductplanner plan WORKSPACE --scenario FILE`": (
        "ikke beregnet endnu: kør `ductplanner plan WORKSPACE --scenario FILE`"
    ),
    # map titles and notes
    "ducts, digs and coverage": "tomrør, gravearbejder og dækning",
    "broadband duct coverage": "dækning med tomrør til bredbånd",
    "digs": "gravearbejder",
    "{name}: digs of {owner} and the ducts we ask to lay in them": (
        "{name}: gravearbejder hos {owner} og de tomrør, vi ønsker at lægge i dem"
    ),
    "Only the digs of {owner} are drawn.": "Kun gravearbejder fra {owner} er vist.",
    # ducts
    "Duct {id}": "Tomrør {id}",
    "year unknown": "år ukendt",
    "laid {year}": "lagt {year}",
    "laid {first}–{last}": "lagt {first}–{last}",
    "{state}, connected": "{state}, forbundet",
    "{state}, island (not connected to the backbone)": (
        "{state}, isoleret (ikke forbundet til backbone)"
    ),
    "island (not connected to the backbone)": "isoleret (ikke forbundet til backbone)",
    "Laid": "Lagt",
    "Status": "Status",
    "Origin": "Oprindelse",
    "Owner": "Ejer",
    "Diameter (mm)": "Diameter (mm)",
    "Tubes": "Rør",
    "Spare tubes": "Ledige rør",
    "Length (m)": "Længde (m)",
    # backbone
    "Point of presence {id}": "Knudepunkt {id}",
    "Fibre {id}": "Fiber {id}",
    "fibre backbone": "backbone (fiber)",
    "point of presence (POP)": "knudepunkt (POP)",
    "Name": "Navn",
    "Kind": "Art",
    # municipal sites
    "Site": "Institution",
    "Priority (1 = first)": "Prioritet (1 = først)",
    "Connected to fibre": "Tilsluttet fiber",
    "filled: connected to fibre": "udfyldt: tilsluttet fiber",
    # third-party digs
    "Dig {id}": "Gravearbejde {id}",
    "Area (m²)": "Areal (m²)",
    "Metres": "Meter",
    "Purpose": "Formål",
    "Dates": "Periode",
    "Confidence": "Sikkerhed",
    "Permit date": "Dato for gravetilladelse",
    "Contact": "Kontakt",
    "Co-digging stretches": "Strækninger til samgravning",
    "Duct metres": "Meter tomrør",
    "Cost (DKK)": "Pris (kr.)",
    "Households gained (covered at once)": "Husstande vundet (dækket med det samme)",
    "Households gained once connected": "Husstande vundet, når rørene er forbundet",
    "Co-digging": "Samgravning",
    "no candidate stretch": "ingen mulig strækning",
    "Cost, households gained": "Pris, husstande vundet",
    "not computed (run `ductplanner opportunities`)": (
        "ikke beregnet (kør `ductplanner opportunities`)"
    ),
    "Chosen in the plan": "Valgt i planen",
    "other owners": "andre ejere",
    "dashed: only planned": "stiplet: kun planlagt",
    "dotted: cancelled": "prikket: aflyst",
    # co-digging opportunities
    "Candidate {id}": "Kandidat {id}",
    "Dig": "Gravearbejde",
    "Year": "År",
    "Dig status": "Gravearbejdets status",
    "Probability the trench opens": "Sandsynlighed for, at renden åbnes",
    "Street": "Vej",
    "Households gained if laid (covered at once)": (
        "Husstande vundet, hvis rørene lægges (dækket med det samme)"
    ),
    "Touches": "Støder op til",
    "the connected duct network": "det forbundne tomrørsnet",
    "an island (ducts not yet connected to the backbone)": (
        "et isoleret stykke (tomrør, der endnu ikke er forbundet til backbone)"
    ),
    "no duct": "intet tomrør",
    "Share of the street edge opened": "Andel af vejstykket, der graves op",
    "In the plan years": "I planårene",
    "likely to open": "åbnes sandsynligvis",
    "less likely (< 50 %) to open": "åbnes mindre sandsynligt (< 50 %)",
    "outside the plan years": "uden for planårene",
    # digs in the same street
    "Street opened twice: {street}": "Vej gravet op to gange: {street}",
    "First dig": "Første gravearbejde",
    "Second dig": "Andet gravearbejde",
    "starts": "starter",
    "Years between": "År imellem",
    "Metres in common": "Fælles meter",
    "Conflict": "Konflikt",
    "opened by two parties a short time apart": "gravet op af to parter med kort tids mellemrum",
    # chosen plan
    "Chosen {id}: lay ducts in {year}": "Valgt {id}: læg tomrør i {year}",
    "Chosen {id}: lay ducts in the plan": "Valgt {id}: læg tomrør i planperioden",
    "How": "Hvordan",
    "Households gained": "Husstande vundet",
    "Why": "Begrundelse",
    "Candidate": "Kandidat",
    "Chosen by": "Valgt med",
    "Scenario": "Scenarie",
    "own trench": "egen gravning",
    "co-dig (in another party's trench)": "samgravning (i en andens rende)",
    # addresses (also the page's cluster popups)
    "covered": "dækket",
    "not covered": "ikke dækket",
    "beyond the drop distance": "længere væk end stikafstanden",
    "coverage not computed": "dækning ikke beregnet",
    "cluster: households, pie of covered share": (
        "klynge: husstande, cirkeldiagram med dækket andel"
    ),
    # districts
    "District {name}": "Bydel {name}",
    "District": "Bydel",
    "district (coverage not computed)": "bydel (dækning ikke beregnet)",
    "Duct-covered": "Dækket af tomrør",
    "Households": "Husstande",
    "Households duct-covered": "Husstande dækket af tomrør",
    "Households served (duct-covered or a fast line)": (
        "Husstande med moderne bredbånd (tomrør eller hurtig forbindelse)"
    ),
    "Addresses duct-covered": "Adresser dækket af tomrør",
    "Addresses beyond the drop distance": "Adresser længere væk end stikafstanden",
    "{low}–{high} % of households covered": "{low}–{high} % af husstandene dækket",
    "no households": "ingen husstande",
    # the schema's own words: duct status and origin
    "existing": "eksisterende",
    "planned": "planlagt",
    "co-dig": "samgravning",
    "own-dig": "egen gravning",
    "fibre-project": "fiberprojekt",
    "unknown": "ukendt",
    # backbone and site kinds
    "pop": "knudepunkt",
    "fibre": "fiber",
    "school": "skole",
    "care-home": "plejehjem",
    "institution": "institution",
    "admin": "administration",
    "other": "andet",
    # dig purposes (as in the request letter), statuses and confidences
    "water": "vand",
    "wastewater": "spildevand",
    "power": "el",
    "district-heating": "fjernvarme",
    "gas": "gas",
    "road": "vej",
    "confirmed": "bekræftet",
    "done": "udført",
    "cancelled": "aflyst",
    "firm": "fast",
    "budgeted": "budgetteret",
    "indicative": "annonceret",
}
