export { emulatorEnv, type MotoServer, startMoto } from '../../lib/local/moto.js';
