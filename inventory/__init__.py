"""The equipment cadastre: register and lifecycle, import/export, open data, QR labels, audits."""
