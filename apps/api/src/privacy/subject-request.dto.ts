import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsEmail, IsIn, IsObject, IsString, ValidateNested } from 'class-validator';
import { SUBJECT_REQUEST_KINDS } from '@fr/privacy';
import { TYPED_TRACKING_CODE_PATTERN } from '@fr/domain';
import { CitizenDto } from '../intake/feedback.dto';
import { OptionalField } from '../common/optional-field.decorator';
import { given, notGiven, SchemaRules } from '../common/schema-rules';
import { ChannelExternalId } from '../common/external-id.decorator';
import { IsChannelPhone } from '../common/phone.decorators';
import { MaxLength, NoControlChars, NormaliseText, NotBlank } from '../common/text.decorators';

/** A non-blank text among the contact fields: what a correction holds instead. */
const someContact = { anyOf: ['name', 'phone', 'email'].map((f) => ({ required: [f], properties: { [f]: { type: 'string', pattern: '\\S' } } })) };

/**
 * Whose data: a phone or an e-mail address (SubjectRequests.submit). A correction carries what to hold
 * instead, at least one contact field; another kind of request carries none.
 */
@SchemaRules(
  { anyOf: [given('phone'), given('email')] },
  {
    if: { required: ['kind'], properties: { kind: { const: 'correct' } } },
    then: { allOf: [given('corrections'), { properties: { corrections: someContact } }] },
    else: notGiven('corrections'),
  },
)
export class SubjectRequestDto {
  @ChannelExternalId('with the same request returns it (200), nothing new recorded; with another request (kind, phone or email) it is refused (409)')
  externalId?: string;

  @ApiProperty({ enum: SUBJECT_REQUEST_KINDS, description: 'access: what is held and who read it; correct: replace contact details; delete: erase them' })
  @IsIn(SUBJECT_REQUEST_KINDS, { message: `kind must be one of ${SUBJECT_REQUEST_KINDS.join(', ')}` })
  kind: (typeof SUBJECT_REQUEST_KINDS)[number];

  @ApiPropertyOptional({ maxLength: 20, example: '0912345678', description: "the channel's signed-in user's phone, as the channel verified it" })
  @OptionalField()
  @IsString()
  @IsChannelPhone()
  phone?: string;

  @ApiPropertyOptional({ maxLength: 254, format: 'email', description: "the channel's signed-in user's e-mail, as the channel verified it" })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an e-mail address' })
  // Not NoInvisibleInEmail: it finds cases, stores none, and cases stored before intake refused such an
  // address hold it with the character; the channel asks with the address as it holds it.
  email?: string;

  @ApiPropertyOptional({
    maxLength: 200,
    example: 'Trần Văn Minh',
    description:
      "the channel's signed-in user's name, as the channel verified it (VNeID), with at least one letter: of the cases the phone or e-mail reaches, those of that name only, held now or before a correction of the name (contact.formerNames). Needed when the phone or e-mail is on cases of several names (409 without it)",
  })
  @OptionalField()
  @IsString()
  @NormaliseText()
  @MaxLength(200)
  @NotBlank()
  @NoControlChars()
  name?: string;

  @ApiPropertyOptional({
    type: [String],
    items: { type: 'string', maxLength: 20, pattern: TYPED_TRACKING_CODE_PATTERN },
    minItems: 1,
    maxItems: 100,
    description:
      "narrows the request to these of the citizen's cases (tracking codes as typed: any case, look-alike letters, spaces and dashes); leave it out for all of them",
  })
  @OptionalField()
  @IsArray()
  // An empty list read as "all of them": a deletion meant for no case would have erased every one.
  @ArrayMinSize(1, { message: "trackingCodes, when given, lists at least one case; leave it out for all of the citizen's cases" })
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(20, { each: true })
  trackingCodes?: string[];

  @ApiPropertyOptional({
    type: CitizenDto,
    description: "for a correction (kind 'correct', where it is required; no other kind takes it): the contact details to hold instead, at least one",
  })
  @OptionalField()
  @IsObject()
  @ValidateNested()
  @Type(() => CitizenDto)
  corrections?: CitizenDto;
}

export class HeldContactDto {
  @ApiProperty({ type: String, nullable: true }) name: string | null;
  @ApiProperty({ type: [String], description: 'the names held before a correction replaced them, oldest first (masked in text as the name is)' })
  formerNames: string[];
  @ApiProperty({ type: String, nullable: true }) phone: string | null;
  @ApiProperty({ type: String, nullable: true }) email: string | null;
}

export class HeldAttachmentDto {
  @ApiProperty() url: string;
  @ApiProperty() kind: string;
}

export class HeldReplyDto {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() body: string;
  @ApiProperty({ type: [HeldAttachmentDto] }) attachments: HeldAttachmentDto[];
}

export class HeldTextsDto {
  @ApiProperty({ type: String, nullable: true }) title: string | null;
  @ApiProperty({ description: 'empty once erased' }) description: string;
  @ApiProperty({ type: String, nullable: true }) address: string | null;
  @ApiProperty({ type: [HeldAttachmentDto] }) attachments: HeldAttachmentDto[];
  @ApiProperty({ type: String, nullable: true }) ratingComment: string | null;
  @ApiProperty({ type: [HeldReplyDto], description: "the citizen's replies to the unit's requests for information" }) replies: HeldReplyDto[];
}

export class HeldCaseDto {
  @ApiProperty() trackingCode: string;
  @ApiProperty() status: string;
  @ApiProperty({ description: 'category code' }) category: string;
  @ApiProperty({ format: 'date-time' }) submittedAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: HeldContactDto, description: 'what is held about the citizen on this case' }) contact: HeldContactDto;
  @ApiProperty({
    type: HeldTextsDto,
    description: 'what the citizen gave on this case (texts, address, attachments), as held now: an erased text is empty or null',
  })
  provided: HeldTextsDto;
}

export class ReadOfTheirDataDto {
  @ApiProperty() trackingCode: string;
  @ApiProperty({ format: 'date-time' }) readAt: string;
  @ApiProperty({ type: String, nullable: true, description: "the reader's unit" }) unitCode: string | null;
  @ApiProperty({ description: "the reader's role" }) role: string;
}

export class SubjectRequestViewDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: SUBJECT_REQUEST_KINDS }) kind: string;
  @ApiProperty({ enum: ['waiting_for_closure', 'answered'], description: 'waiting_for_closure: a deletion whose open cases are erased as each closes' })
  status: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ format: 'date-time', description: 'the legal deadline (config/retention.yaml subjectRequests)' }) dueAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) answeredAt: string | null;
  @ApiProperty({ type: [String], description: 'the cases the request covers' }) trackingCodes: string[];
  @ApiProperty({ type: [String], description: "a deletion's cases still open" }) waitingFor: string[];
  @ApiProperty({ type: [String], description: 'fields corrected or erased' }) fields: string[];
  @ApiPropertyOptional({ type: [HeldCaseDto], description: 'access: the cases and what is held' }) cases?: HeldCaseDto[];
  @ApiPropertyOptional({ type: [ReadOfTheirDataDto], description: "access: every recorded read of the citizen's contact details" })
  reads?: ReadOfTheirDataDto[];
}

export class SubjectRequestSummaryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() channel: string;
  @ApiProperty({ enum: SUBJECT_REQUEST_KINDS }) kind: string;
  @ApiProperty({ enum: ['waiting_for_closure', 'answered'] }) status: string;
  @ApiProperty({ format: 'date-time' }) receivedAt: string;
  @ApiProperty({ format: 'date-time' }) dueAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) answeredAt: string | null;
  @ApiProperty({ description: 'unanswered past its deadline' }) overdue: boolean;
  @ApiProperty({ type: [String] }) trackingCodes: string[];
  @ApiProperty({ type: [String] }) waitingFor: string[];
  @ApiProperty({ type: [String] }) fields: string[];
}
