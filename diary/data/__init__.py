"""The database: models, transactions, loaders into clinical records, streamed queries."""
