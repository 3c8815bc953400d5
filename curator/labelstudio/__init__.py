"""Label Studio sync: push pre-annotated documents as tasks with predictions, pull people's
annotations back as typed, human-sourced label values."""
