"""Small hand-written French answers shared by the learning-coder and evaluation tests."""

COOPERATION = [
    "Il faut coopérer davantage entre communes voisines.",
    "La coopération avec la DDT a été précieuse.",
    "Travailler ensemble, enfin, entre services.",
    "Nous coopérons avec les associations du territoire depuis un an.",
    "Coopération intercommunale renforcée grâce à l'atelier.",
    "On a appris à coopérer au lieu de se renvoyer la balle.",
    "Les élus coopèrent mieux avec les agents.",
    "Une vraie culture de la coopération à construire.",
    "Coopérer avec les voisins, c'est la clé.",
    "Partenariat et coopération avec la chambre d'agriculture.",
]
VALUE = [
    "Évaluer les effets de nos actions dans la durée.",
    "Il nous manque des indicateurs pour évaluer la valeur créée.",
    "L'évaluation doit venir dès le début du projet.",
    "Mesurer les effets utiles, pas seulement les dépenses.",
    "On évalue trop tard, quand tout est fini.",
    "Des indicateurs simples pour suivre les effets.",
    "Évaluation participative avec les habitants.",
    "La valeur créée se voit sur le long terme.",
]
OFF_TOPIC = [
    "Journée trop longue en visio.",
    "Merci pour l'accueil et le café.",
    "Le son était mauvais l'après-midi.",
    "Rien de particulier à signaler.",
    "Les horaires ne convenaient pas.",
    "Salle trop petite pour le groupe.",
    "Trop de diapositives le matin.",
    "Le déjeuner était bon.",
    "Pas eu le temps de tout noter.",
    "Bonne ambiance générale.",
]
