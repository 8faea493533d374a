"""The ground floor: errors that reach a person (`errors.py`), whole-or-nothing file writes and CSV
reading (`files.py`), CLI progress bars (`progress.py`), escaping for display (`display.py`), YAML
without aliases (`safe_yaml.py`) and XML without DTDs (`untrusted_xml.py`). It imports nothing of
qualcode.
"""
