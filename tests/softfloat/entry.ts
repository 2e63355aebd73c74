// The softfloat module on its own, for the tests to compile and call.
export * from '../../workers/core/softfloat';
