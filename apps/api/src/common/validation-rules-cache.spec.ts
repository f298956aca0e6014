import 'reflect-metadata';
import { getMetadataStorage, IsInt, IsString, validate, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { cacheValidationRules } from './validation-rules-cache';

class Place {
  @IsString()
  ward!: string;
}

class Base {
  @IsString()
  title!: string;
}

class Report extends Base {
  @IsInt()
  score!: number;

  @ValidateNested()
  @Type(() => Place)
  place!: Place;
}

const names = (rules: { propertyName: string; type: string }[]) => rules.map((r) => `${r.propertyName}:${r.type}`).sort();

describe('cacheValidationRules', () => {
  const storage = getMetadataStorage();
  // What class-validator answers on its own, before the cache is in place.
  const before = names(storage.getTargetValidationMetadatas(Report, '', false, false));
  cacheValidationRules(storage);

  it('answers as class-validator does, inherited rules included, and the same array each time', () => {
    const first = storage.getTargetValidationMetadatas(Report, '', false, false);
    expect(names(first)).toEqual(before);
    expect(names(first)).toEqual(expect.arrayContaining(['title:customValidation', 'score:customValidation', 'place:nestedValidation']));
    expect(storage.getTargetValidationMetadatas(Report, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    // Other options are another answer.
    expect(storage.getTargetValidationMetadatas(Report, '', true, false)).not.toBe(first);
  });

  it('forgets what it kept when a rule is added, to a class seen before or a new one', async () => {
    const kept = storage.getTargetValidationMetadatas(Base, '', false, false);
    IsInt()(Base.prototype, 'late');
    const now = storage.getTargetValidationMetadatas(Base, '', false, false);
    expect(now).not.toBe(kept);
    expect(names(now)).toContain('late:customValidation');
    // And a subclass sees the inherited rule too.
    expect(names(storage.getTargetValidationMetadatas(Report, '', false, false))).toContain('late:customValidation');

    class Later {
      @IsString()
      note!: string;
    }
    expect(names(storage.getTargetValidationMetadatas(Later, '', false, false))).toEqual(['note:customValidation']);
    expect(await validate(Object.assign(new Later(), { note: 5 }))).toHaveLength(1);
  });

  it('validation finds the same problems, time after time', async () => {
    const bad = () => Object.assign(new Report(), { title: 1, score: 'x', late: 2, place: Object.assign(new Place(), { ward: 3 }) });
    for (let i = 0; i < 3; i++) {
      const errors = await validate(bad(), { whitelist: true, forbidNonWhitelisted: true });
      expect(errors.map((e) => e.property).sort()).toEqual(['place', 'score', 'title']);
      expect(errors.find((e) => e.property === 'place')?.children?.map((c) => c.property)).toEqual(['ward']);
    }
    // The frozen rules are not changed by validating.
    expect(Object.isFrozen(storage.getTargetValidationMetadatas(Report, '', false, false))).toBe(true);
  });
});
