"""One login and the citizen's data rights: the region's OpenID Connect provider, second
factors, consents and what the apps were given, and the rights UU 27/2022 (PDP) grants
(decision 0057)."""
