// hiredis (Debian libhiredis-dev 0.14), for the Redis protocol only: commands are encoded with
// redisFormatCommandArgv and replies decoded with a redisReader; the bytes move over SwiftNIO
// channels. No blocking redisContext is ever created.
#ifndef PORTCULLIS_CHIREDIS_SHIM_H
#define PORTCULLIS_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>

static const int portcullis_redis_ok = REDIS_OK;
static const int portcullis_redis_reply_string = REDIS_REPLY_STRING;
static const int portcullis_redis_reply_array = REDIS_REPLY_ARRAY;
static const int portcullis_redis_reply_integer = REDIS_REPLY_INTEGER;
static const int portcullis_redis_reply_nil = REDIS_REPLY_NIL;
static const int portcullis_redis_reply_status = REDIS_REPLY_STATUS;
static const int portcullis_redis_reply_error = REDIS_REPLY_ERROR;
#endif
