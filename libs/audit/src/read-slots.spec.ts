import { BusyError } from '@fr/domain';
import { ReadSlots } from './read-slots';

describe('ReadSlots', () => {
  const slots = () => new ReadSlots((n) => `${n} walk(s) are running`, 'FR_WALKS', 2);

  it('takes places up to the bound and refuses the next with BusyError, saying how many run and what bounds them', () => {
    const s = slots();
    s.take();
    s.take();
    let refused: unknown;
    try {
      s.take();
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(BusyError);
    expect(refused).toMatchObject({
      retryAfterSeconds: 5,
      message: '2 walk(s) are running, the most this server runs at once (FR_WALKS=2); try again in 5 s',
    });
  });

  it('gives a place back once, however often its release is called', () => {
    const s = slots();
    const release = s.take();
    s.take();
    release();
    release();
    s.take();
    expect(() => s.take()).toThrow(BusyError);
  });
});
