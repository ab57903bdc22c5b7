#ifndef PORTCULLIS_CMAXMINDDB_SHIM_H
#define PORTCULLIS_CMAXMINDDB_SHIM_H

#include <maxminddb.h>
#include <string.h>

// MMDB_get_value is variadic, which Swift cannot call (and it allocates the path array on every
// call): these wrappers name the two paths the gateway reads, as static arrays for MMDB_aget_value. Each copies a UTF-8 string value of at most `capacity - 1` bytes into `out`
// and returns its length, or -1 when the path is absent or not a short string.

static inline int portcullis_mmdb_copy_string(MMDB_entry_data_s *data, char *out, int capacity) {
    if (!data->has_data || data->type != MMDB_DATA_TYPE_UTF8_STRING) return -1;
    if (data->data_size == 0 || data->data_size >= (uint32_t)capacity) return -1;
    memcpy(out, data->utf8_string, data->data_size);
    out[data->data_size] = 0;
    return (int)data->data_size;
}

/// `country.iso_code` (GeoIP2/GeoLite2 Country and City, DB-IP).
static inline int portcullis_mmdb_country_code(MMDB_entry_s *entry, char *out, int capacity) {
    static const char *const path[] = {"country", "iso_code", NULL};
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS) return -1;
    return portcullis_mmdb_copy_string(&data, out, capacity);
}

/// `subdivisions.0.iso_code` (City layout): the most general subdivision, e.g. `TX`.
static inline int portcullis_mmdb_subdivision_code(MMDB_entry_s *entry, char *out, int capacity) {
    static const char *const path[] = {"subdivisions", "0", "iso_code", NULL};
    MMDB_entry_data_s data;
    if (MMDB_aget_value(entry, &data, path) != MMDB_SUCCESS) return -1;
    return portcullis_mmdb_copy_string(&data, out, capacity);
}

#endif
