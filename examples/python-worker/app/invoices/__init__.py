"""invoice-worker: turns queued orders into invoices, one X-Ray segment per job."""
