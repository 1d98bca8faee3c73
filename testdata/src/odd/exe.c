/* A tiny program, linked as ET_EXEC (-no-pie) and as a PIE (DF_1_PIE): dlopen refuses both. */
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    printf("abigate fixture %d\n", argc);
    return 0;
}
