/* Initial-exec TLS in a shared object sets DF_STATIC_TLS; a dlopen after startup must fit the
 * block into the static TLS surplus (about 1664 bytes by default, loader.md section 12). */
#ifndef AG_TLS_SIZE
#define AG_TLS_SIZE 4096
#endif

__thread char ag_buf[AG_TLS_SIZE] __attribute__((tls_model("initial-exec")));

char *ag_probe(void) {
    ag_buf[0] = 1;
    return ag_buf;
}
