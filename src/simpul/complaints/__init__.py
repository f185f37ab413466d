"""Pengaduan: complaints, aspirations and requests for information (decision 0056)."""
