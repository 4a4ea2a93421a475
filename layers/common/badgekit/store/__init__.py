"""DynamoDB and SQS: keys, records, expressions, transactions, pages, outbox, queue."""
