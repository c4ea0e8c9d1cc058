"""The partnership data bundle: importing a partnership's records and exporting them.

The one app that writes records of every other app from outside the service's pages: it
reads and validates a bundle (reader, validation), plans what is new against what is
held, and writes it through the set-based services each app owns; and it exports a
partnership (exporter). ../docs/partnership-bundle.md describes the format and the rules.
"""
