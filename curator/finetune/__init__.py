"""One-click fine-tuning: Bedrock model customization and SageMaker ms-swift training jobs,
their lifecycle (status, loss, stop, deploy, clean up), all behind domain functions the CLI,
the UI and the tests call alike."""
