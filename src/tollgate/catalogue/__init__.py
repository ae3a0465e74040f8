"""Reference data: countries and subdivisions (pycountry, phone codes from phonenumbers), and the id lists
(occupations, purposes, source of funds and wealth, industries, NAICS 2022 codes) shipped as JSON files
under ``data/``. The data never changes at run time, so it is loaded once per process."""
