"""AI inventory: which models, SDKs, keys and model files an organisation's code and stores hold."""
