/* One Python extension source, compiled under different names and flags:
 *   AG_MODULE          module name, decides the exported PyInit_<AG_MODULE>
 *   Py_LIMITED_API     set on the command line for the abi3 build
 *   AG_FREE_THREADED   also reference symbols only a free-threaded (3.13t+) CPython exports,
 *                      as a real 3.13t build would (loader.md section 11). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

#ifndef AG_MODULE
#error "define AG_MODULE"
#endif
#define AG_STR2(x) #x
#define AG_STR(x) AG_STR2(x)
#define AG_CAT2(a, b) a##b
#define AG_CAT(a, b) AG_CAT2(a, b)

#ifdef AG_FREE_THREADED
extern void _Py_MergeZeroLocalRefcount(PyObject *);
extern void _Py_DecRefShared(PyObject *);
void *ag_ft_refs[] = {(void *)_Py_MergeZeroLocalRefcount, (void *)_Py_DecRefShared};
#endif

static PyObject *answer(PyObject *self, PyObject *args) {
    (void)self;
    (void)args;
    /* One libc call, as every real extension has: it gives the module a libc.so.6 DT_NEEDED. */
    return PyLong_FromLong(getenv("ABIGATE_ANSWER") != NULL ? 0 : 42);
}

static PyMethodDef methods[] = {
    {"answer", answer, METH_NOARGS, "Return 42."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moddef = {
    PyModuleDef_HEAD_INIT, AG_STR(AG_MODULE), NULL, -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC AG_CAT(PyInit_, AG_MODULE)(void) { return PyModule_Create(&moddef); }
