"""Accounting: pricing, the double-entry ledger, maker cheques, co-investor allocation, close."""
