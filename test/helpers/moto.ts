export { emulatorEnv, type MotoServer, startMoto } from '../../harness/local/moto.js';
