/* A Windows extension module reduced to what a checker reads: PE32+ DLL, export PyInit__mod,
 * import of python311.dll (a version-specific, non-abi3 build).  Built with -nostdlib, so
 * it has its own entry point instead of the MinGW CRT (keeps it a few KB). */
typedef struct _object PyObject;
struct PyModuleDef;

__declspec(dllimport) PyObject *PyModule_Create2(struct PyModuleDef *def, int apiver);

static char moddef[104];

__declspec(dllexport) PyObject *PyInit__mod(void) {
    return PyModule_Create2((struct PyModuleDef *)moddef, 1013);
}

int __stdcall DllMainCRTStartup(void *inst, unsigned long reason, void *reserved) {
    (void)inst;
    (void)reason;
    (void)reserved;
    return 1;
}
