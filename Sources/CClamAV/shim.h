#ifndef PORTCULLIS_CCLAMAV_SHIM_H
#define PORTCULLIS_CCLAMAV_SHIM_H

#include <clamav.h>

// Macros Swift cannot import (expressions, not literals) become constants here.
static const unsigned int portcullis_cl_db_stdopt = CL_DB_STDOPT;
static const unsigned int portcullis_cl_init_default = CL_INIT_DEFAULT;
static const unsigned int portcullis_cl_scan_general_heuristics = CL_SCAN_GENERAL_HEURISTICS;
static const unsigned int portcullis_cl_scan_parse_all = 0xFFFFFFFFu;
static const unsigned int portcullis_cl_scan_heuristic_exceeds_max = CL_SCAN_HEURISTIC_EXCEEDS_MAX;

#endif
