"""What each fix needs (a check's typed output, `contracts`) and the one gcloud form a person would
run for it (`commands`): pure, so that checks, the diagnosis and every output can share them."""
