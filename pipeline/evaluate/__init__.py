"""Quality evaluation: gold files, the spec's scorer, and the two baselines (`regwatch eval`)."""
